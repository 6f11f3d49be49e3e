package cli

import (
	"context"

	"github.com/cais-project/cais/internal/engine"
)

// claimRemoval makes a foreground `run --rm` remove its container itself
// once it has the exit status, in place of the monitor's cleanup command
// (a process of its own, and slower). The returned release ends the claim
// after the removal; should this process die first, the monitor removes
// the container. Without --rm it claims nothing.
func claimRemoval(ctx context.Context, e *engine.Engine, ctr *engine.Container, autoRemove bool) (func(), error) {
	if !autoRemove {
		return func() {}, nil
	}
	cl, err := e.ClaimRemoval(ctx, ctr)
	if err != nil {
		return func() {}, err
	}
	return func() { cl.Release() }, nil
}
