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

// claimRemovalAsync takes the claim in a goroutine, beside the attach
// (one round trip to the monitor less on the way to the start); the
// returned function waits for it.
func claimRemovalAsync(ctx context.Context, e *engine.Engine, ctr *engine.Container, autoRemove bool) func() (func(), error) {
	type claimed struct {
		release func()
		err     error
	}
	ch := make(chan claimed, 1)
	go func() {
		release, err := claimRemoval(ctx, e, ctr, autoRemove)
		ch <- claimed{release, err}
	}()
	return func() (func(), error) {
		c := <-ch
		return c.release, c.err
	}
}
