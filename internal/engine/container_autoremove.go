package engine

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/cais-project/cais/internal/engine/monitor"
	"github.com/cais-project/cais/internal/errdefs"
)

// ClaimRemoval is for a foreground `run --rm`: it tells the container's
// monitor that the caller removes the container after the exit
// (RemoveAutoRemoved), so the monitor does not start the engine's cleanup
// command. Take it before the container starts and release it once the
// removal is done; if the caller dies first the monitor cleans up as
// usual (monitor/claim.go).
func (e *Engine) ClaimRemoval(ctx context.Context, c *Container) (*monitor.Claim, error) {
	cl, err := monitor.Open(e.monitorDir(c.ID)).ClaimRemoval(ctx)
	if err != nil {
		return nil, fmt.Errorf("claiming removal of %s: %w", c.Name, err)
	}
	return cl, nil
}

// RemoveAutoRemoved removes an exited --rm container as `rm -v` does: the
// runtime's container, the engine's state and its anonymous volumes. One
// already removed (`rm -f` from elsewhere) is no error. The caller has
// waited for the exit (WaitContainer: the monitor is done with it, and
// --rm excludes restarts), so the monitor is not asked again; under the
// caller's removal claim the monitor started the runtime's delete at the
// exit, and this waits for it (deleteByMonitor).
func (e *Engine) RemoveAutoRemoved(ctx context.Context, c *Container) error {
	if _, err := e.loadContainer(c.ID); errors.Is(err, errdefs.ErrNotFound) {
		return nil
	}
	if err := e.deleteAndCleanupWith(ctx, c, true, e.deleteByMonitor); err != nil {
		return err
	}
	return e.RemoveContainerVolumes(ctx, c)
}

// recordPath is the directory holding the container's record: the monitor
// knows from it whether a claimed removal happened.
func (e *Engine) recordPath(id string) string { return filepath.Join(e.containersDir(), id) }
