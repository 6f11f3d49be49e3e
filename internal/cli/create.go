package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func createCmd(g *globals) *cobra.Command {
	var cf containerFlags
	c := &cobra.Command{
		Use:   "create [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create a new container without starting it",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			o, err := cf.options(g, args)
			if err != nil {
				return err
			}
			e, err := g.engine(ctx)
			if err != nil {
				return err
			}
			ctr, err := e.CreateContainer(ctx, o)
			if err != nil {
				return createFailed(g, err)
			}
			fmt.Fprintln(g.stdout, ctr.ID)
			return nil
		},
	}
	c.Flags().SetInterspersed(false)
	cf.register(c.Flags(), "create")
	return c
}
