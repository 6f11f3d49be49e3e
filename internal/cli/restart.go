package cli

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/engine"
)

func restartCmd(g *globals) *cobra.Command {
	var secs int
	c := &cobra.Command{
		Use:   "restart [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Restart one or more containers",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			return eachContainer(ctx, g, args, "restarting", func(e *engine.Engine, ctr *engine.Container) error {
				return e.RestartContainer(ctx, ctr, time.Duration(secs)*time.Second)
			})
		},
	}
	c.Flags().IntVarP(&secs, "time", "t", 10, "seconds to wait before killing the container")
	return c
}
