package cli

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/engine"
)

func stopCmd(g *globals) *cobra.Command {
	var secs int
	c := &cobra.Command{
		Use:   "stop [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Stop one or more running containers",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			return eachContainer(ctx, g, args, "stopping", func(e *engine.Engine, ctr *engine.Container) error {
				return e.StopContainer(ctx, ctr, time.Duration(secs)*time.Second)
			})
		},
	}
	c.Flags().IntVarP(&secs, "time", "t", 10, "seconds to wait before killing the container")
	return c
}
