package cli

import "github.com/cais-project/cais/internal/runtime/container"

func killCmd(g *globals) *command {
	var all bool
	cmd := newCommand("kill [--all] CONTAINER_ID [SIGNAL]", "send a signal (default SIGTERM) to a container's init", rangeArgs(1, 2),
		func(cl *call) error {
			args := cl.args
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
		})
	cmd.flags.boolVar(&all, "all", "a", "send the signal to every process of the container")
	return cmd
}
