package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cais-project/cais/internal/engine"
	"github.com/cais-project/cais/internal/engine/monitor"
	"github.com/cais-project/cais/internal/units"
)

func createCmd(g *globals) *cobra.Command {
	var o engine.RunOptions
	var memory string
	c := &cobra.Command{
		Use:   "create [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create a new container without starting it",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			o.Image, o.Cmd, o.Start = args[0], args[1:], false
			if memory != "" {
				n, err := units.RAMInBytes(memory)
				if err != nil || n < 0 {
					fmt.Fprintf(g.stderr, "cais: invalid argument %q for \"-m, --memory\" flag\n", memory)
					return exitError{exitUsage}
				}
				o.Memory = n
			}
			e, err := g.engine(ctx)
			if err != nil {
				return err
			}
			ctr, err := e.CreateContainer(ctx, o)
			if err != nil {
				fmt.Fprintf(g.stderr, "cais: %v\n", err)
				var ce *monitor.CreateError
				if errors.As(err, &ce) && (ce.ExitCode == 126 || ce.ExitCode == 127) {
					return exitError{ce.ExitCode}
				}
				return exitError{exitUsage}
			}
			fmt.Fprintln(g.stdout, ctr.ID)
			return nil
		},
	}
	c.Flags().SetInterspersed(false)
	containerFlags(c.Flags(), "create", &o, &memory)
	return c
}

// containerFlags are the flags that say what a container is, shared by
// create (and meant for run).
func containerFlags(f *pflag.FlagSet, verb string, o *engine.RunOptions, memory *string) {
	f.BoolVar(&o.AutoRemove, "rm", false, "remove the container when it exits")
	f.StringVar(&o.Name, "name", "", "name of the container")
	f.StringArrayVarP(&o.Env, "env", "e", nil, "set an environment variable K=V (repeatable)")
	f.StringArrayVarP(&o.Volumes, "volume", "v", nil, "bind mount /host:/container[:ro] (repeatable)")
	f.StringVar(&o.Network, "network", "", `network mode: "none" (default: loopback only) or "host"`)
	f.StringVar(&o.Runtime, "runtime", "", "OCI runtime: cais-runtime (default), runc, or a path")
	// Docker's -h is the host name, so help has no shorthand here.
	f.Bool("help", false, "help for "+verb)
	f.StringVarP(&o.Hostname, "hostname", "h", "", "container host name")
	f.StringVarP(memory, "memory", "m", "", "memory limit (e.g. 64m)")
	f.Int64Var(&o.PidsLimit, "pids-limit", 0, "limit the number of processes (0: no limit)")
	f.StringArrayVar(&o.SecurityOpt, "security-opt", nil, `security options: "seccomp=unconfined", "seccomp=<profile.json>", "no-new-privileges" (repeatable)`)
}
