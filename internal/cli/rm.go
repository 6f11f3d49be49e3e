package cli

import (
	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/engine"
)

func rmCmd(g *globals) *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use:   "rm [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Remove one or more containers",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			return eachContainer(ctx, g, args, "removing", func(e *engine.Engine, ctr *engine.Container) error {
				return e.RemoveContainer(ctx, ctr, force)
			})
		},
	}
	c.Flags().BoolVarP(&force, "force", "f", false, "kill a running container before removing it")
	return c
}
