package container

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/runtime/hooks"
)

// Delete removes a stopped (or created) container: its processes, cgroup
// and state. With force a running one is killed first. Poststop hook
// failures are returned as warnings after everything is removed.
func (c *Container) Delete(ctx context.Context, force bool) (warnings []error, err error) {
	unlock, err := c.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	st := c.Status()
	if (st == Running || st == Paused) && !force {
		return nil, fmt.Errorf("cannot delete container %s that is not stopped: %s: %w", c.state.ID, st, errdefs.ErrConflict)
	}
	if st != Stopped {
		// A created container's init is killed too: it never ran the
		// user's program.
		c.signalAll(unix.SIGKILL)
		unix.Kill(c.state.Pid, unix.SIGKILL)
		if err := waitGone(c.state.Pid, c.state.PidStart, defaultKillWait); err != nil {
			return nil, err
		}
	}
	if m, err := c.cgroup(); err == nil {
		// Processes that outlived the init (no pid namespace) go too.
		c.signalAll(unix.SIGKILL)
		if err := m.Destroy(); err != nil {
			return nil, fmt.Errorf("removing the cgroup: %w", err)
		}
	}
	if err := removeStateDir(c.root, c.dir); err != nil {
		return nil, err
	}
	if h := c.state.specView().Hooks; h != nil && len(h.Poststop) > 0 {
		s := c.OCIState().State
		s.Status = specs.StateStopped
		if err := hooks.RunAll(ctx, "poststop", h.Poststop, &s); err != nil {
			warnings = append(warnings, err)
		}
	}
	return warnings, nil
}

// removeStateDir first renames the directory out of the way, so that a
// command waiting for the lock finds no container once it gets it, and no
// one can see a half-removed directory; then it removes it.
func removeStateDir(root, dir string) error {
	tomb, err := os.MkdirTemp(root, ".deleted-")
	if err != nil {
		return os.RemoveAll(dir)
	}
	grave := filepath.Join(tomb, filepath.Base(dir))
	if err := os.Rename(dir, grave); err != nil {
		os.Remove(tomb)
		return os.RemoveAll(dir)
	}
	return os.RemoveAll(tomb)
}
