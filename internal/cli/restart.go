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
			timeout := time.Duration(secs) * time.Second
			if !c.Flags().Changed("time") {
				timeout = -1 // the container's --stop-timeout, else 10s
			}
			return eachContainer(ctx, g, args, "restarting", func(e *engine.Engine, ctr *engine.Container) error {
				return e.RestartContainer(ctx, ctr, timeout)
			})
		},
	}
	c.Flags().IntVarP(&secs, "time", "t", 10, "seconds to wait before killing the container (default: its --stop-timeout, else 10)")
	return c
}
