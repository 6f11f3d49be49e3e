package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func waitCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "wait CONTAINER [CONTAINER...]",
		Short: "Block until one or more containers stop, then print their exit codes",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			e, err := g.engine(ctx)
			if err != nil {
				return err
			}
			failed := false
			for _, a := range args {
				ctr, err := e.FindContainer(ctx, a)
				code := 0
				if err == nil {
					code, err = e.WaitExit(ctx, ctr)
				}
				if err != nil {
					fmt.Fprintf(g.stderr, "cais: waiting for %s: %v\n", a, err)
					failed = true
					continue
				}
				fmt.Fprintln(g.stdout, code)
			}
			if failed {
				return exitError{exitFailure}
			}
			return nil
		},
	}
}
