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
	// Every call asks the kernel whether the process has exited, and
	// returns false (wait for the poller) while it runs. The check cannot
	// be skipped on the first call: RawRead clears a readiness the poller
	// saw before it started (epoll is edge-triggered), so an exit between
	// NewFile and RawRead would otherwise never wake us.
	rc.Read(func(fd uintptr) bool {
		p := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		for {
			n, err := unix.Poll(p, 0)
			if err == unix.EINTR {
				continue
			}
			// An error says nothing more will come: stop waiting.
			return err != nil || n > 0
		}
	})
}
