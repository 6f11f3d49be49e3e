package cli

import (
	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/runtime/container"
)

func pauseCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "pause CONTAINER_ID",
		Short: "suspend every process of a container (cgroup freezer)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := container.Load(g.root, args[0])
			if err != nil {
				return err
			}
			return c.Pause()
		},
	}
}
