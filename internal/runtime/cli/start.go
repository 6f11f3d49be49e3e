package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/runtime/container"
)

func startCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "start CONTAINER_ID",
		Short: "run the process of a created container",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := container.Load(g.root, args[0])
			if err != nil {
				return err
			}
			warnings, err := c.Start(cmd.Context())
			for _, w := range warnings {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
			}
			return err
		},
	}
}
