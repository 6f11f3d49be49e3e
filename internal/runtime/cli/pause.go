package cli

import "github.com/cais-project/cais/internal/runtime/container"

func pauseCmd(g *globals) *command {
	return newCommand("pause CONTAINER_ID", "suspend every process of a container (cgroup freezer)", exactArgs(1),
		func(cl *call) error {
			c, err := container.Load(g.root, cl.args[0])
			if err != nil {
				return err
			}
			return c.Pause()
		})
}
