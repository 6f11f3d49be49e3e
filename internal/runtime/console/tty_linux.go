package console

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Size returns the window size of the terminal f (master or slave).
func Size(f *os.File) (WinSize, error) {
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return WinSize{}, &os.PathError{Op: "ioctl TIOCGWINSZ", Path: f.Name(), Err: err}
	}
	return WinSize{Height: ws.Row, Width: ws.Col}, nil
}

// SetSize sets the window size of the terminal f (usually the master); the
// slave's foreground process group gets SIGWINCH.
func SetSize(f *os.File, size WinSize) error {
	ws := &unix.Winsize{Row: size.Height, Col: size.Width}
	if err := unix.IoctlSetWinsize(int(f.Fd()), unix.TIOCSWINSZ, ws); err != nil {
		return &os.PathError{Op: "ioctl TIOCSWINSZ", Path: f.Name(), Err: err}
	}
	return nil
}

// SetupSlaveAsControlling makes slave the controlling terminal and the
// stdin, stdout and stderr of the calling process: it starts a new session
// (setsid), takes slave as the session's terminal (TIOCSCTTY) and dup2s it
// onto fds 0, 1 and 2. The container's init calls it just before exec; the
// caller must not be a process group leader and still owns slave (closing
// it after this call leaves 0, 1 and 2 open).
func SetupSlaveAsControlling(slave *os.File) error {
	if _, err := unix.Setsid(); err != nil {
		return fmt.Errorf("starting a session: %w", err)
	}
	fd := int(slave.Fd())
	if err := unix.IoctlSetInt(fd, unix.TIOCSCTTY, 0); err != nil {
		return fmt.Errorf("taking %s as controlling terminal: %w", slave.Name(), err)
	}
	for _, target := range []int{0, 1, 2} {
		if fd == target {
			// Already there (dup3 would fail); keep it across exec.
			if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
				return fmt.Errorf("clearing close-on-exec of %s: %w", slave.Name(), err)
			}
			continue
		}
		if err := unix.Dup3(fd, target, 0); err != nil {
			return fmt.Errorf("dup %s onto fd %d: %w", slave.Name(), target, err)
		}
	}
	return nil
}
