package procwait

import (
	"os"

	"golang.org/x/sys/unix"
)

// Exited returns once process pid has exited (or at once when it cannot
// tell: pid is gone already, or pidfds are unsupported). It does not reap
// pid. The goroutine is parked in the Go poller meanwhile: a pidfd becomes
// readable when its process exits.
func Exited(pid int) {
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if err != nil {
		return
	}
	f := os.NewFile(uintptr(fd), "pidfd")
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	// The first call only asks the poller to wait for readability; the
	// second comes once the pidfd is readable.
	waited := false
	rc.Read(func(uintptr) bool {
		done := waited
		waited = true
		return done
	})
}
