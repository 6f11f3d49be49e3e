package cli

import (
	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/runtime/container"
)

func resumeCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "resume CONTAINER_ID",
		Short: "resume every process of a paused container",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := container.Load(g.root, args[0])
			if err != nil {
				return err
			}
			return c.Resume()
		},
	}
}
