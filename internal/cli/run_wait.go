package cli

import (
	"context"

	"github.com/cais-project/cais/internal/engine"
)

// waitResult is a container's exit code or why it could not be waited for.
type waitResult struct {
	code int
	err  error
}

// waitAsync sends the wait request now, before the start: the monitor
// answers it the moment it is done with the container, instead of after
// the start's answer reached this process and a second request went out
// (a few ms when the container exits at once and the processes that
// follow its exit compete for the CPU).
func waitAsync(ctx context.Context, e *engine.Engine, ctr *engine.Container) <-chan waitResult {
	ch := make(chan waitResult, 1)
	go func() {
		code, err := e.WaitContainer(ctx, ctr)
		ch <- waitResult{code, err}
	}()
	return ch
}
