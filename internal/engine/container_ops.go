package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/cais-project/cais/internal/engine/monitor"
	"github.com/cais-project/cais/internal/engine/ocicli"
	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/mount"
)

func (c *Container) runtime() ocicli.Runtime {
	return ocicli.Runtime{Path: c.Runtime, Root: c.RuntimeRoot}
}

// StartContainer starts a container created without Start.
func (e *Engine) StartContainer(ctx context.Context, c *Container) error {
	_, err := monitor.Open(e.monitorDir(c.ID)).Start(ctx)
	return err
}

// AttachContainer streams the container's output to stdout and stderr
// until it ends; the returned channel yields when the stream is done.
func (e *Engine) AttachContainer(ctx context.Context, c *Container, stdout, stderr io.Writer) (<-chan error, error) {
	a, err := monitor.Open(e.monitorDir(c.ID)).Attach(ctx, monitor.AttachOptions{Stdout: stdout, Stderr: stderr})
	if err != nil {
		return nil, err
	}
	return a.Done(), nil
}

// WaitContainer waits until the container's monitor is done with it (and,
// with AutoRemove, has removed it) and returns its exit code.
func (e *Engine) WaitContainer(ctx context.Context, c *Container) (int, error) {
	st, err := monitor.Open(e.monitorDir(c.ID)).Wait(ctx)
	if err != nil {
		return -1, err
	}
	return st.ExitCode, nil
}

// ContainerState is what ps shows of a container's life.
type ContainerState struct {
	State      string // "created", "running", "restarting", "exited"
	ExitCode   int
	StartedAt  time.Time
	FinishedAt time.Time
	Health     string // while running with a check: "starting", "healthy", "unhealthy"
}

// State asks the monitor, or when it is gone, the saved state and the
// runtime (monitor.Recover).
func (e *Engine) State(ctx context.Context, c *Container) (ContainerState, error) {
	dir := e.monitorDir(c.ID)
	if monitor.Alive(dir) {
		if st, err := monitor.Open(dir).Status(ctx); err == nil {
			cs := ContainerState{State: st.State, ExitCode: st.ExitCode, StartedAt: st.StartedAt, FinishedAt: st.FinishedAt}
			if h := e.containerHealth(c); h != nil && cs.State == monitor.StateRunning {
				cs.Health = h.Status
			}
			return e.withPause(ctx, c, cs), nil
		}
	}
	saved, serr := monitor.ReadState(dir)
	if serr == nil && saved.State == monitor.StateExited {
		return ContainerState{State: monitor.StateExited, ExitCode: saved.ExitCode, StartedAt: saved.StartedAt, FinishedAt: saved.FinishedAt}, nil
	}
	rec, err := monitor.Recover(ctx, c.runtime(), dir, c.ID)
	if err != nil {
		return ContainerState{}, err
	}
	cs := ContainerState{State: rec.State, ExitCode: rec.ExitCode, StartedAt: saved.StartedAt, FinishedAt: saved.FinishedAt}
	if rec.State == monitor.RecoveredGone {
		cs.State = monitor.StateExited
	}
	return e.withPause(ctx, c, cs), nil
}

// StopContainer sends the container's stop signal, then SIGKILL after
// timeout; a negative timeout is the container's (--stop-timeout).
func (e *Engine) StopContainer(ctx context.Context, c *Container, timeout time.Duration) error {
	sig, timeout := c.stopSignal(), c.stopTimeout(timeout)
	if err := e.thawForStop(ctx, c); err != nil {
		return err
	}
	dir := e.monitorDir(c.ID)
	if monitor.Alive(dir) {
		_, err := monitor.Open(dir).StopSignal(ctx, sig, timeout)
		if !monitorVanished(dir, err) {
			return err
		}
	}
	// The monitor died: the container may still run, and only the runtime
	// can reach it.
	rec, err := monitor.Recover(ctx, c.runtime(), dir, c.ID)
	if err != nil || rec.State != monitor.RecoveredRunning {
		return err
	}
	rt := c.runtime()
	if err := rt.Kill(ctx, c.ID, sig, false); err != nil {
		return fmt.Errorf("stopping %s: %w", c.Name, err)
	}
	if waitStopped(ctx, rt, c.ID, timeout) {
		return nil
	}
	if err := rt.Kill(ctx, c.ID, syscall.SIGKILL, true); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
		return fmt.Errorf("killing %s: %w", c.Name, err)
	}
	if !waitStopped(ctx, rt, c.ID, 10*time.Second) {
		return fmt.Errorf("%s still runs after SIGKILL: %w", c.Name, errdefs.ErrUnavailable)
	}
	return nil
}

// waitStopped polls the runtime until it says id stopped (or no longer
// knows it) or timeout passes; it reports whether it stopped.
func waitStopped(ctx context.Context, rt ocicli.Runtime, id string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		if st, err := rt.State(ctx, id); err != nil || st.Status == "stopped" {
			return true
		}
		if !time.Now().Before(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// RemoveContainer removes a container that does not run (created or
// exited; a running, restarting or paused one only with force, which
// kills it first): runtime delete, rootfs unmount, snapshot, record and
// directories.
func (e *Engine) RemoveContainer(ctx context.Context, c *Container, force bool) error {
	return e.removeContainer(ctx, c, force, true)
}

// monitorVanished reports whether err from a call to the monitor in dir
// means the monitor died meanwhile (a SIGKILL lands a moment before the
// process is gone, so Alive may still have said yes): then the caller
// goes on as if it had been dead from the start.
func monitorVanished(dir string, err error) bool {
	if !errors.Is(err, errdefs.ErrUnavailable) {
		return false
	}
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if !monitor.Alive(dir) {
			return true
		}
	}
	return false
}

// removeContainer is RemoveContainer; without created, a created
// container is refused too (prune: one being restarted is created for a
// moment).
func (e *Engine) removeContainer(ctx context.Context, c *Container, force, created bool) error {
	dir := e.monitorDir(c.ID)
	alive := monitor.Alive(dir)
	// stopped: the init is known to be gone (reaped by its monitor, or the
	// runtime says so), not merely sent SIGKILL: see deleteAndCleanup.
	stopped := false
	if alive {
		st, err := monitor.Open(dir).Status(ctx)
		stopped = err == nil
		if err == nil && st.State != monitor.StateExited {
			if !force && (st.State != monitor.StateCreated || !created) {
				return e.removeRefusal(ctx, c, st.State)
			}
			if err := e.thawForStop(ctx, c); err != nil {
				return err
			}
			st, err := monitor.Open(dir).Stop(ctx, 0)
			if err != nil {
				if !monitorVanished(dir, err) {
					return fmt.Errorf("killing %s: %w", c.Name, err)
				}
				alive = false
			}
			stopped = err == nil && st.State == monitor.StateExited
		}
	}
	if !alive {
		rec, err := monitor.Recover(ctx, c.runtime(), dir, c.ID)
		stopped = err == nil && rec.State != monitor.RecoveredRunning
		if err == nil && rec.State == monitor.RecoveredRunning {
			if !force && (!created || !e.runtimeCreated(ctx, c)) {
				return e.removeRefusal(ctx, c, monitor.StateRunning)
			}
			c.runtime().Kill(ctx, c.ID, syscall.SIGKILL, true)
		}
	}
	return e.deleteAndCleanup(ctx, c, stopped)
}

// CleanupContainer undoes what the engine made for container id (mount,
// snapshot, record, directories) without touching the runtime or the
// monitor: the --rm monitor runs it after deleting the container.
// Removing what is already gone succeeds.
func (e *Engine) CleanupContainer(ctx context.Context, id string) error {
	c, err := e.loadContainer(id)
	if errors.Is(err, errdefs.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := e.cleanup(ctx, c); err != nil || !c.AutoRemove {
		return err
	}
	return e.RemoveContainerVolumes(ctx, c) // --rm removes them, as Docker's
}

func (e *Engine) cleanup(ctx context.Context, c *Container) error {
	unlock, err := e.lockContainers()
	if err != nil {
		return err
	}
	defer unlock()
	if err := e.undoMade(ctx, c); err != nil {
		return err
	}
	return e.removeRecords(c)
}

// undoMade tears down the container's network, rootfs mount, volumes and
// snapshot (under the containers lock): what may go while the runtime
// still deletes the container (container_remove.go).
func (e *Engine) undoMade(ctx context.Context, c *Container) error {
	if err := e.teardownNetwork(ctx, c); err != nil {
		return err
	}
	if err := mount.UnmountAll(filepath.Join(e.runDir(c.ID), "rootfs")); err != nil {
		return err
	}
	if err := e.releaseVolumes(c); err != nil {
		return err
	}
	if err := e.snaps.Remove(ctx, c.SnapshotKey); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
		return fmt.Errorf("removing rootfs snapshot: %w", err)
	}
	return nil
}

// removeRecords removes the container's directories, name and record
// (under the containers lock), after everything else is gone.
func (e *Engine) removeRecords(c *Container) error {
	if err := e.removeRunDirs(c); err != nil {
		return err
	}
	return e.removeNameAndRecord(c)
}

// removeRunDirs removes the container's monitor and run directories
// (bundle, /etc files, the rootfs mount point) in the runroot.
func (e *Engine) removeRunDirs(c *Container) error {
	if err := os.RemoveAll(e.monitorDir(c.ID)); err != nil {
		return fmt.Errorf("removing monitor state: %w", err)
	}
	if err := os.RemoveAll(e.runDir(c.ID)); err != nil {
		return fmt.Errorf("removing container state: %w", err)
	}
	return nil
}

// removeNameAndRecord frees the container's name and removes its record:
// the last of a removal.
func (e *Engine) removeNameAndRecord(c *Container) error {
	// The name goes before the record: a cleanup cut short in between is
	// redone from the record (a --rm monitor checks for it).
	if b, err := os.ReadFile(filepath.Join(e.namesDir(), c.Name)); err == nil && string(b) == c.ID {
		os.Remove(filepath.Join(e.namesDir(), c.Name))
	}
	if err := os.RemoveAll(filepath.Join(e.containersDir(), c.ID)); err != nil {
		return fmt.Errorf("removing container record: %w", err)
	}
	return nil
}

// ContainerSummary is one row of ps.
type ContainerSummary struct {
	Container
	ContainerState
}

// ListContainers returns every container with its state, oldest first;
// without all, only the running ones.
func (e *Engine) ListContainers(ctx context.Context, all bool) ([]ContainerSummary, error) {
	cs, err := e.listContainers()
	if err != nil {
		return nil, err
	}
	var out []ContainerSummary
	for _, c := range cs {
		st, err := e.State(ctx, c)
		if err != nil {
			return nil, fmt.Errorf("state of %s: %w", c.Name, err)
		}
		if all || st.State == monitor.StateRunning || st.State == monitor.StateRestarting || st.State == StatePaused {
			out = append(out, ContainerSummary{Container: *c, ContainerState: st})
		}
	}
	return out, nil
}
