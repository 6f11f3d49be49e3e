package cli

import (
	"fmt"

	"github.com/cais-project/cais/internal/runtime/container"
)

func startCmd(g *globals) *command {
	return newCommand("start CONTAINER_ID", "run the process of a created container", exactArgs(1),
		func(cl *call) error {
			c, err := container.Load(g.root, cl.args[0])
			if err != nil {
				return err
			}
			warnings, err := c.Start(cl.ctx)
			for _, w := range warnings {
				fmt.Fprintln(cl.stderr, "warning:", w)
			}
			return err
		})
}
