package cli

import (
	"github.com/spf13/cobra"
)

func logsCmd(g *globals) *cobra.Command {
	var follow bool
	c := &cobra.Command{
		Use:   "logs [OPTIONS] CONTAINER",
		Short: "Fetch the logs of a container",
		Args:  exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			e, err := g.engine(ctx)
			if err != nil {
				return err
			}
			ctr, err := e.FindContainer(ctx, args[0])
			if err != nil {
				return err
			}
			return e.ContainerLogs(ctx, ctr, follow, g.stdout, g.stderr)
		},
	}
	c.Flags().BoolVarP(&follow, "follow", "f", false, "follow the log output until the container ends")
	return c
}
