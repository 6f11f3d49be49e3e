package engine

import (
	"context"
	"fmt"
	"syscall"
	"time"

	"github.com/cais-project/cais/internal/engine/monitor"
	"github.com/cais-project/cais/internal/errdefs"
)

// KillContainer sends sig to a running container's init through its
// monitor; a container that is not running is an errdefs.ErrConflict.
func (e *Engine) KillContainer(ctx context.Context, c *Container, sig syscall.Signal) error {
	st, err := e.State(ctx, c)
	if err != nil {
		return err
	}
	dir := e.monitorDir(c.ID)
	if (st.State != monitor.StateRunning && st.State != StatePaused) || !monitor.Alive(dir) {
		return fmt.Errorf("container %s is not running: %w", c.Name, errdefs.ErrConflict)
	}
	if err := monitor.Open(dir).Kill(ctx, sig); err != nil {
		return err
	}
	if sig == syscall.SIGKILL { // as Docker: a paused container is thawed to die
		return e.thawForStop(ctx, c)
	}
	return nil
}

// WaitExit waits until the container is done and returns its exit code;
// for a container already done it returns at once.
func (e *Engine) WaitExit(ctx context.Context, c *Container) (int, error) {
	if monitor.Alive(e.monitorDir(c.ID)) {
		if code, err := e.WaitContainer(ctx, c); err == nil {
			return code, nil
		}
	}
	st, err := e.State(ctx, c)
	if err != nil {
		return -1, err
	}
	if st.State != monitor.StateExited {
		return -1, fmt.Errorf("container %s is %s but has no monitor: %w", c.Name, st.State, errdefs.ErrUnavailable)
	}
	return st.ExitCode, nil
}

// RecreateContainer makes an exited container Created again: it deletes
// the old instance from the runtime and spawns a new monitor over the same
// bundle and rootfs, so StartContainer (after an optional attach) runs it.
// Containers that are not exited are left alone.
func (e *Engine) RecreateContainer(ctx context.Context, c *Container) error {
	st, err := e.State(ctx, c)
	if err != nil {
		return err
	}
	if st.State != monitor.StateExited {
		return nil
	}
	if err := e.deleteExited(ctx, c); err != nil {
		return err
	}
	rt := c.runtime()
	cfg := monitor.Config{ID: c.ID, Bundle: e.runDir(c.ID), Dir: e.monitorDir(c.ID), LogPath: e.logPath(c.ID)}
	return e.spawnMonitor(ctx, c, rt, cfg, RunOptions{AutoRemove: c.AutoRemove, Restart: c.RestartPolicy.String(), Monitor: c.Monitor})
}

// RestartContainer stops the container (SIGKILL after timeout) if it
// runs, then runs it again.
func (e *Engine) RestartContainer(ctx context.Context, c *Container, timeout time.Duration) error {
	st, err := e.State(ctx, c)
	if err != nil {
		return err
	}
	if st.State == monitor.StateRunning || st.State == monitor.StateRestarting || st.State == StatePaused {
		if err := e.StopContainer(ctx, c, timeout); err != nil {
			return err
		}
		// The monitor records the exit before it answers waiters.
		if _, err := e.WaitExit(ctx, c); err != nil {
			return err
		}
	}
	if err := e.RecreateContainer(ctx, c); err != nil {
		return err
	}
	return e.StartContainer(ctx, c)
}
