package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cais-project/cais/internal/engine/monitor"
	"github.com/cais-project/cais/internal/errdefs"
)

// deleteAndCleanup deletes c in the runtime and undoes what the engine
// made for it. The runtime's delete is a process of its own (a Go start,
// the cgroup's removal: ~15 ms here), and the engine's network teardown,
// rootfs unmount and snapshot removal do not depend on it, so they run
// while it runs when that is safe: the container's processes are gone
// (stopped: its init was reaped or the runtime says it stopped, and the
// bundle gives it a pid namespace of its own, whose end took every other
// process with it), and the bundle has no poststop hooks (the runtime's
// delete runs them, and they may look at the rootfs or the netns).
// Otherwise the delete comes first, as it always did. The name and record
// go last either way, only once both sides succeeded, so a failure on
// either side keeps the record for a retry (`rm` again redoes what is
// left; removing what is gone succeeds).
func (e *Engine) deleteAndCleanup(ctx context.Context, c *Container, stopped bool) error {
	return e.deleteAndCleanupWith(ctx, c, stopped, e.deleteInRuntime)
}

// deleteAndCleanupWith is deleteAndCleanup with del as the runtime's side.
func (e *Engine) deleteAndCleanupWith(ctx context.Context, c *Container, stopped bool, del func(context.Context, *Container) error) error {
	deleted := make(chan error, 1)
	go func() { deleted <- del(ctx, c) }()
	if !stopped || !e.removalOverlaps(c) {
		if err := <-deleted; err != nil {
			return err
		}
		return e.cleanup(ctx, c)
	}
	unlock, err := e.lockContainers()
	if err != nil {
		return errors.Join(<-deleted, err)
	}
	madeErr := e.undoMade(ctx, c)
	if madeErr == nil {
		// The runtime keeps its state under its own root: the bundle is
		// not read again (a retry finds none and deletes in order).
		madeErr = e.removeRunDirs(c)
	}
	unlock()
	// The lock is not held while the runtime finishes: other containers'
	// creates and removals need it, and nothing here is half done.
	if err := errors.Join(<-deleted, madeErr); err != nil {
		return err
	}
	if unlock, err = e.lockContainers(); err != nil {
		return err
	}
	defer unlock()
	return e.removeNameAndRecord(c)
}

func (e *Engine) deleteInRuntime(ctx context.Context, c *Container) error {
	if err := c.runtime().Delete(ctx, c.ID, true); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
		return fmt.Errorf("deleting %s in the runtime: %w", c.Name, err)
	}
	return nil
}

// removalOverlaps reports whether c's bundle lets its runtime delete run
// alongside the engine's cleanup: a pid namespace of its own (not one
// given by path, which other processes may share) and no poststop hooks.
// A bundle that cannot be read or decoded says no.
func (e *Engine) removalOverlaps(c *Container) bool {
	b, err := os.ReadFile(filepath.Join(e.runDir(c.ID), "config.json"))
	if err != nil {
		return false
	}
	var spec struct {
		Hooks *struct {
			Poststop []json.RawMessage `json:"poststop"`
		} `json:"hooks"`
		Linux *struct {
			Namespaces []struct {
				Type string `json:"type"`
				Path string `json:"path"`
			} `json:"namespaces"`
		} `json:"linux"`
	}
	if json.Unmarshal(b, &spec) != nil || spec.Linux == nil {
		return false
	}
	if spec.Hooks != nil && len(spec.Hooks.Poststop) > 0 {
		return false
	}
	for _, ns := range spec.Linux.Namespaces {
		if ns.Type == "pid" && ns.Path == "" {
			return true
		}
	}
	return false
}

// deleteByMonitor is the runtime's side of a claimed --rm removal: the
// monitor started the delete at the exit (monitor.Client.AwaitDelete);
// when it did not, failed, or is gone, the delete is made here.
func (e *Engine) deleteByMonitor(ctx context.Context, c *Container) error {
	if monitor.Open(e.monitorDir(c.ID)).AwaitDelete(ctx) == nil {
		return nil
	}
	return e.deleteInRuntime(ctx, c)
}
