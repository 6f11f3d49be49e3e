package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/engine"
	"github.com/cais-project/cais/internal/engine/monitor"
	"github.com/cais-project/cais/internal/units"
)

func runCmd(g *globals) *cobra.Command {
	var o engine.RunOptions
	var detach, sigProxy bool
	var memory string
	c := &cobra.Command{
		Use:   "run [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create and run a new container from an image",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			o.Image, o.Cmd, o.Start = args[0], args[1:], detach
			if o.AutoRemove && o.Restart != "" && o.Restart != "no" {
				fmt.Fprintln(g.stderr, "cais: Conflicting options: --restart and --rm")
				return exitError{exitUsage}
			}
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
			if detach {
				fmt.Fprintln(g.stdout, ctr.ID)
				return nil
			}
			// From here the signals go to the container, not to ctx.
			ctx = context.WithoutCancel(ctx)
			s, err := attachSession(ctx, g, e, ctr, o.Interactive, sigProxy)
			if err == nil {
				defer s.close()
				err = e.StartContainer(ctx, ctr)
			}
			if err != nil {
				fmt.Fprintf(g.stderr, "cais: %v\n", err)
				e.RemoveContainer(ctx, ctr, true)
				return exitError{exitUsage}
			}
			code, err := e.WaitContainer(ctx, ctr)
			<-s.a.Done()
			s.close()
			if err != nil {
				fmt.Fprintf(g.stderr, "cais: waiting for %s: %v\n", ctr.Name, err)
				return exitError{exitUsage}
			}
			if o.AutoRemove {
				// The monitor removed it already; this only makes sure.
				if err := e.CleanupContainer(ctx, ctr.ID); err != nil {
					fmt.Fprintf(g.stderr, "cais: removing %s: %v\n", ctr.Name, err)
				}
			}
			if code != 0 {
				return exitError{code}
			}
			return nil
		},
	}
	c.Flags().SetInterspersed(false)
	f := c.Flags()
	f.BoolVarP(&detach, "detach", "d", false, "run the container in the background and print its ID")
	f.BoolVar(&o.AutoRemove, "rm", false, "remove the container when it exits")
	f.BoolVarP(&o.Interactive, "interactive", "i", false, "keep the container's stdin open and send it this command's")
	f.BoolVarP(&o.Tty, "tty", "t", false, "give the container a terminal")
	f.BoolVar(&sigProxy, "sig-proxy", true, "send the signals a foreground run receives to the container")
	f.StringVar(&o.Restart, "restart", "no", `restart policy: "no", "on-failure[:N]", "always" or "unless-stopped"`)
	f.StringVar(&o.Name, "name", "", "name of the container")
	f.StringArrayVarP(&o.Env, "env", "e", nil, "set an environment variable K=V (repeatable)")
	f.StringArrayVarP(&o.Volumes, "volume", "v", nil, "bind mount /host:/container[:ro] (repeatable)")
	f.StringVar(&o.Network, "network", "", `network mode: "none" (default: loopback only) or "host"`)
	f.StringVar(&o.Runtime, "runtime", "", "OCI runtime: cais-runtime (default), runc, or a path")
	// Docker's -h is the host name, so help has no shorthand here.
	f.Bool("help", false, "help for run")
	f.StringVarP(&o.Hostname, "hostname", "h", "", "container host name")
	f.StringVarP(&memory, "memory", "m", "", "memory limit (e.g. 64m)")
	f.Int64Var(&o.PidsLimit, "pids-limit", 0, "limit the number of processes (0: no limit)")
	f.StringArrayVar(&o.SecurityOpt, "security-opt", nil, `security options: "seccomp=unconfined", "seccomp=<profile.json>", "no-new-privileges" (repeatable)`)
	return c
}

// cleanupCmd is what a --rm container's monitor runs after deleting it.
func cleanupCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:    "cleanup ID",
		Short:  "Remove what the engine made for a container the runtime no longer has",
		Hidden: true,
		Args:   exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine(c.Context())
			if err != nil {
				return err
			}
			return e.CleanupContainer(c.Context(), args[0])
		},
	}
}
