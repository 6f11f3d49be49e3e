package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/runtime/container"
)

func deleteCmd(g *globals) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:     "delete [--force] CONTAINER_ID",
		Aliases: []string{"rm"},
		Short:   "delete a container and everything it holds",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := container.Load(g.root, args[0])
			if err != nil {
				if force && errdefs.IsNotFound(err) {
					return nil // runc: delete --force of a missing container succeeds
				}
				return err
			}
			warnings, err := c.Delete(cmd.Context(), force)
			for _, w := range warnings {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
			}
			return err
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "kill the container first if it is running")
	return cmd
}
