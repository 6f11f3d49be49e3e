package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

func renameCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "rename CONTAINER NEW_NAME",
		Short: "Rename a container",
		Args:  exactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			if args[0] == "" || args[1] == "" {
				return errors.New("neither old nor new names may be empty")
			}
			e, err := g.engine(c.Context())
			if err != nil {
				return err
			}
			ctr, err := e.FindContainer(c.Context(), args[0])
			if err != nil {
				return err
			}
			return e.RenameContainer(c.Context(), ctr, args[1])
		},
	}
}
