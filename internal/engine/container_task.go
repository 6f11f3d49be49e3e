package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/cais-project/cais/internal/engine/monitor"
	"github.com/cais-project/cais/internal/errdefs"
)

// What the public Go API (package client) needs beyond the CLI's verbs:
// the init's pid, the exit time with the exit code, and deleting an exited
// container's instance from the runtime while keeping the container.

// ContainerPid is the host pid of the container's init while it exists in
// the runtime (created or running).
func (e *Engine) ContainerPid(ctx context.Context, c *Container) (int, error) {
	dir := e.monitorDir(c.ID)
	if monitor.Alive(dir) {
		if st, err := monitor.Open(dir).Status(ctx); err == nil && st.Pid > 0 &&
			(st.State == monitor.StateCreated || st.State == monitor.StateRunning) {
			return st.Pid, nil
		}
	}
	return 0, fmt.Errorf("container %s has no process: %w", c.Name, errdefs.ErrNotFound)
}

// ExitStatus is how a container's last run ended.
type ExitStatus struct {
	Code       int
	FinishedAt time.Time
}

// WaitExitStatus waits until the monitor is done with the container (as
// WaitExit does) and returns its exit code and time.
func (e *Engine) WaitExitStatus(ctx context.Context, c *Container) (ExitStatus, error) {
	dir := e.monitorDir(c.ID)
	if monitor.Alive(dir) {
		if st, err := monitor.Open(dir).Wait(ctx); err == nil {
			return ExitStatus{Code: st.ExitCode, FinishedAt: st.FinishedAt}, nil
		}
	}
	st, err := e.State(ctx, c)
	if err != nil {
		return ExitStatus{Code: -1}, err
	}
	if st.State != monitor.StateExited {
		return ExitStatus{Code: -1}, fmt.Errorf("container %s is %s but has no monitor: %w", c.Name, st.State, errdefs.ErrUnavailable)
	}
	return ExitStatus{Code: st.ExitCode, FinishedAt: st.FinishedAt}, nil
}

// DeleteTask removes an exited container's instance from the runtime and
// waits for its monitor to finish; the record, rootfs and snapshot stay, so
// RecreateContainer can run it again. A container that has not exited is an
// errdefs.ErrConflict.
func (e *Engine) DeleteTask(ctx context.Context, c *Container) error {
	st, err := e.State(ctx, c)
	if err != nil {
		return err
	}
	if st.State != monitor.StateExited {
		return fmt.Errorf("container %s is %s: %w", c.Name, st.State, errdefs.ErrConflict)
	}
	return e.deleteExited(ctx, c)
}

// deleteExited deletes an exited container from its runtime once its
// monitor, which may still be closing down after recording the exit, is
// gone; the record, rootfs and snapshot stay.
func (e *Engine) deleteExited(ctx context.Context, c *Container) error {
	for i := 0; monitor.Alive(e.monitorDir(c.ID)); i++ {
		if i == 250 {
			return fmt.Errorf("container %s: its monitor is still finishing: %w", c.Name, errdefs.ErrConflict)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	if err := c.runtime().Delete(ctx, c.ID, true); err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("deleting the old %s in the runtime: %w", c.Name, err)
	}
	return nil
}
