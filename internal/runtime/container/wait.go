package container

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/procwait"
)

// WaitReap waits for pid, a child or (as subreaper) a descendant of the
// calling process, forwarding the signals that arrive on sigs, and returns
// its exit code the way a shell reports it (128+n for signal n). Other
// descendants that exit meanwhile are reaped too.
func WaitReap(pid int, sigs <-chan os.Signal) (int, error) {
	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		// Park in the poller until pid exits: a goroutine blocked in
		// wait4 keeps Go's sysmon thread waking every 20 µs meanwhile
		// (procwait's doc), on the core the container runs on.
		procwait.Exited(pid)
		for {
			var ws unix.WaitStatus
			got, err := unix.Wait4(-1, &ws, 0, nil)
			if errors.Is(err, unix.EINTR) {
				continue
			}
			if err != nil {
				done <- result{err: err}
				return
			}
			if got != pid {
				continue
			}
			if ws.Signaled() {
				done <- result{code: 128 + int(ws.Signal())}
			} else {
				done <- result{code: ws.ExitStatus()}
			}
			return
		}
	}()
	for {
		select {
		case r := <-done:
			return r.code, r.err
		case s := <-sigs:
			if sig, ok := s.(unix.Signal); ok && sig != unix.SIGCHLD && sig != unix.SIGURG && sig != unix.SIGWINCH {
				unix.Kill(pid, sig)
			}
		}
	}
}
