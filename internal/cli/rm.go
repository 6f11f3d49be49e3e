package cli

import (
	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/engine"
)

func rmCmd(g *globals) *cobra.Command {
	var force, volumes bool
	c := &cobra.Command{
		Use:   "rm [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Remove one or more containers",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			return eachContainer(ctx, g, args, "removing", func(e *engine.Engine, ctr *engine.Container) error {
				if err := e.RemoveContainer(ctx, ctr, force); err != nil || !volumes {
					return err
				}
				return e.RemoveContainerVolumes(ctx, ctr)
			})
		},
	}
	c.Flags().BoolVarP(&force, "force", "f", false, "kill a running container before removing it")
	c.Flags().BoolVarP(&volumes, "volumes", "v", false, "remove anonymous volumes associated with the container")
	return c
}
