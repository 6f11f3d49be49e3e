package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func rmCmd(g *globals) *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use:   "rm [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Remove one or more containers",
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
				if err == nil {
					err = e.RemoveContainer(ctx, ctr, force)
				}
				if err != nil {
					fmt.Fprintf(g.stderr, "cais: removing %s: %v\n", a, err)
					failed = true
					continue
				}
				fmt.Fprintln(g.stdout, a)
			}
			if failed {
				return exitError{exitFailure}
			}
			return nil
		},
	}
	c.Flags().BoolVarP(&force, "force", "f", false, "kill a running container before removing it")
	return c
}
