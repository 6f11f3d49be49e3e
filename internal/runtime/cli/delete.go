package cli

import (
	"fmt"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/runtime/container"
)

func deleteCmd(g *globals) *command {
	var force bool
	cmd := newCommand("delete [--force] CONTAINER_ID", "delete a container and everything it holds", exactArgs(1),
		func(cl *call) error {
			c, err := container.Load(g.root, cl.args[0])
			if err != nil {
				if force && errdefs.IsNotFound(err) {
					return nil // runc: delete --force of a missing container succeeds
				}
				return err
			}
			warnings, err := c.Delete(cl.ctx, force)
			for _, w := range warnings {
				fmt.Fprintln(cl.stderr, "warning:", w)
			}
			return err
		})
	cmd.aliases = []string{"rm"}
	cmd.flags.boolVar(&force, "force", "f", "kill the container first if it is running")
	return cmd
}
