package engine

import (
	"context"
	"fmt"

	"github.com/cais-project/cais/internal/engine/monitor"
	"github.com/cais-project/cais/internal/errdefs"
)

// removeRefusal is Docker's answer to removing, without force, a
// container in state (as the monitor reports it: running or restarting).
func (e *Engine) removeRefusal(ctx context.Context, c *Container, state string) error {
	why := fmt.Sprintf("container is %s: stop the container before removing or force remove", state)
	if state == monitor.StateRunning && e.isPaused(ctx, c) {
		why = "container is paused and must be unpaused first"
	}
	return fmt.Errorf("cannot remove container %q: %s: %w", "/"+c.Name, why, errdefs.ErrConflict)
}

// runtimeCreated reports whether the runtime holds c created and never
// started (its monitor gone).
func (e *Engine) runtimeCreated(ctx context.Context, c *Container) bool {
	st, err := c.runtime().State(ctx, c.ID)
	return err == nil && st.Status == "created"
}
