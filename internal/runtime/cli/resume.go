package cli

import "github.com/cais-project/cais/internal/runtime/container"

func resumeCmd(g *globals) *command {
	return newCommand("resume CONTAINER_ID", "resume every process of a paused container", exactArgs(1),
		func(cl *call) error {
			c, err := container.Load(g.root, cl.args[0])
			if err != nil {
				return err
			}
			return c.Resume()
		})
}
