package cli

import (
	"encoding/json"

	"github.com/cais-project/cais/internal/runtime/container"
)

func stateCmd(g *globals) *command {
	return newCommand("state CONTAINER_ID", "print the state of a container (runtime-spec JSON)", exactArgs(1),
		func(cl *call) error {
			c, err := container.Load(g.root, cl.args[0])
			if err != nil {
				return err
			}
			b, err := json.MarshalIndent(c.OCIState(), "", "  ")
			if err != nil {
				return err
			}
			_, err = cl.stdout.Write(append(b, '\n'))
			return err
		})
}
