package cli

import (
	"context"
	"fmt"

	"github.com/cais-project/cais/internal/engine"
)

// eachArg does one verb to every argument, as Docker's multi-argument
// verbs do: the argument is printed when it worked, the failure (on
// stderr as "cais: " and what says of it) when not, and the command exits
// 1 if any failed.
func eachArg(g *globals, args []string, do func(a string) error, says func(a string, err error) string) error {
	failed := false
	for _, a := range args {
		if err := do(a); err != nil {
			fmt.Fprintf(g.stderr, "cais: %s\n", says(a, err))
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

// eachContainer is eachArg over the containers args name; a failure reads
// "cais: <doing> <name>: <why>".
func eachContainer(ctx context.Context, g *globals, args []string, doing string, do func(*engine.Engine, *engine.Container) error) error {
	e, err := g.engine(ctx)
	if err != nil {
		return err
	}
	return eachArg(g, args, func(a string) error {
		ctr, err := e.FindContainer(ctx, a)
		if err != nil {
			return err
		}
		return do(e, ctr)
	}, func(a string, err error) string { return fmt.Sprintf("%s %s: %v", doing, a, err) })
}
