package container

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/runtime/hooks"
)

// Start runs the user's process of a created container: it opens the exec
// fifo the init blocks on, which lets the init exec. Poststart hooks run
// after; their failures are returned as warnings, as the spec says.
func (c *Container) Start(ctx context.Context) (warnings []error, err error) {
	unlock, err := c.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	if st := c.Status(); st != Created {
		return nil, fmt.Errorf("cannot start a container that is %s: %w", st, errdefs.ErrConflict)
	}
	fifoPath := filepath.Join(c.dir, fifoFile)
	if err := c.releaseInit(fifoPath); err != nil {
		return nil, err
	}
	os.Remove(fifoPath)
	if h := c.state.specView().Hooks; h != nil && len(h.Poststart) > 0 {
		st := c.OCIState().State
		st.Status = specs.StateRunning
		if err := hooks.RunAll(ctx, "poststart", h.Poststart, &st); err != nil {
			warnings = append(warnings, err)
		}
	}
	return warnings, nil
}

// releaseInit lets the created init go on: it opens the exec fifo, which
// unblocks the init's open of the write side, and waits until the init has
// written its byte and closed the fifo (it keeps it open until it execs the
// program). The open does not block and the wait also watches the init
// through a pidfd: an init that died before or meanwhile (a racing kill or
// delete) must not leave start, which holds the container's lock, waiting
// for a writer that will never come.
func (c *Container) releaseInit(fifoPath string) error {
	// The pidfd comes first: once the fifo is open the init runs the
	// program, which may exit and be reaped before a later PidfdOpen.
	gone := fmt.Errorf("cannot start container %s: its init exited before starting the process: %w", c.state.ID, errdefs.ErrConflict)
	pidfd, err := unix.PidfdOpen(c.state.Pid, 0)
	if err != nil {
		return gone
	}
	defer unix.Close(pidfd)
	if start, _, err := procStart(c.state.Pid); err != nil || start != c.state.PidStart {
		return gone
	}
	fd, err := unix.Open(fifoPath, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening the exec fifo: %w", err)
	}
	defer unix.Close(fd)
	got := 0
	buf := make([]byte, 16)
	// drain reads what the fifo holds now; it reports whether the writer
	// has closed it.
	drain := func() (bool, error) {
		for {
			n, err := unix.Read(fd, buf)
			switch {
			case n > 0:
				got += n
			case n == 0 && err == nil:
				return true, nil
			case errors.Is(err, unix.EAGAIN):
				return false, nil
			case errors.Is(err, unix.EINTR):
			default:
				return false, fmt.Errorf("reading the exec fifo: %w", err)
			}
		}
	}
	for {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}, {Fd: int32(pidfd), Events: unix.POLLIN}}
		if _, err := unix.Poll(fds, -1); err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return fmt.Errorf("waiting for the container's init: %w", err)
		}
		if fds[0].Revents != 0 || fds[1].Revents != 0 {
			closed, err := drain()
			if err != nil {
				return err
			}
			if closed || fds[1].Revents != 0 {
				if got == 0 {
					return gone
				}
				return nil
			}
		}
	}
}
