package cli

import (
	"context"
	"fmt"

	"github.com/cais-project/cais/internal/engine"
)

// eachContainer does one verb to every container named in args, as
// Docker's multi-container verbs do: the name is printed when it worked,
// the failure (as "cais: <doing> <name>: <why>") when not, and the command
// exits 1 if any failed.
func eachContainer(ctx context.Context, g *globals, args []string, doing string, do func(*engine.Engine, *engine.Container) error) error {
	e, err := g.engine(ctx)
	if err != nil {
		return err
	}
	failed := false
	for _, a := range args {
		ctr, err := e.FindContainer(ctx, a)
		if err == nil {
			err = do(e, ctr)
		}
		if err != nil {
			fmt.Fprintf(g.stderr, "cais: %s %s: %v\n", doing, a, err)
			failed = true
			continue
		}
		fmt.Fprintln(g.stdout, a)
	}
	if failed {
		return exitError{exitFailure}
	}
	return nil
}
