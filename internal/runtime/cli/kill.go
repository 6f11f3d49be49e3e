package cli

import (
	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/runtime/container"
)

func killCmd(g *globals) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "kill [--all] CONTAINER_ID [SIGNAL]",
		Short: "send a signal (default SIGTERM) to a container's init",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := "SIGTERM"
			if len(args) == 2 {
				name = args[1]
			}
			sig, err := container.ParseSignal(name)
			if err != nil {
				return err
			}
			c, err := container.Load(g.root, args[0])
			if err != nil {
				return err
			}
			return c.Kill(sig, all)
		},
	}
	cmd.Flags().BoolVarP(&all, "all", "a", false, "send the signal to every process of the container")
	return cmd
}
