package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

func restartCmd(g *globals) *cobra.Command {
	var secs int
	c := &cobra.Command{
		Use:   "restart [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Restart one or more containers",
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
					err = e.RestartContainer(ctx, ctr, time.Duration(secs)*time.Second)
				}
				if err != nil {
					fmt.Fprintf(g.stderr, "cais: restarting %s: %v\n", a, err)
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
	c.Flags().IntVarP(&secs, "time", "t", 10, "seconds to wait before killing the container")
	return c
}
