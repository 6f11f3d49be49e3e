package seccomp

import (
	"fmt"
)

// Load installs the filter on every thread of the calling process (TSYNC).
//
// Preconditions: the process has no_new_privs set (prctl
// PR_SET_NO_NEW_PRIVS) or holds CAP_SYS_ADMIN; otherwise the kernel answers
// EACCES. Once Load returns nil the filter stays for the life of the process
// and its children, so a runtime calls it last, just before execve.
//
// When the filter uses SCMP_ACT_NOTIFY, Load returns the listener fd, owned
// by the caller (close it once it is passed on); otherwise it returns -1.
// libseccomp keeps one listener per process, so at most one notifying
// filter may be loaded by a process.
func (f *Filter) Load() (listenerFd int, err error) {
	if err := f.ctx.Load(); err != nil {
		return -1, fmt.Errorf("loading seccomp filter: %w", err)
	}
	if !f.notify {
		return -1, nil
	}
	fd, err := f.ctx.GetNotifFd()
	if err != nil {
		return -1, fmt.Errorf("getting seccomp listener fd: %w", err)
	}
	return int(fd), nil
}
