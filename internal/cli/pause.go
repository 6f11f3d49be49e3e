package cli

import (
	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/engine"
)

func pauseCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "pause CONTAINER [CONTAINER...]",
		Short: "Pause all processes within one or more containers",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			return eachContainer(ctx, g, args, "pausing", func(e *engine.Engine, ctr *engine.Container) error {
				return e.PauseContainer(ctx, ctr)
			})
		},
	}
}

func unpauseCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "unpause CONTAINER [CONTAINER...]",
		Short: "Unpause all processes within one or more containers",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			return eachContainer(ctx, g, args, "unpausing", func(e *engine.Engine, ctr *engine.Container) error {
				return e.UnpauseContainer(ctx, ctr)
			})
		},
	}
}
