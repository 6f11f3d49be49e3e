package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/engine/monitor"
)

func startCmd(g *globals) *cobra.Command {
	var attach, interactive bool
	c := &cobra.Command{
		Use:   "start [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Start one or more created or stopped containers",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			// Docker: -i attaches stdin, and the output with it.
			attach = attach || interactive
			ctx := c.Context()
			if attach {
				ctx = context.WithoutCancel(ctx) // the signals go to the container
			}
			if attach && len(args) > 1 {
				return usageError{fmt.Errorf("you cannot start and attach multiple containers at once")}
			}
			e, err := g.engine(ctx)
			if err != nil {
				return err
			}
			failed := false
			for _, a := range args {
				ctr, err := e.FindContainer(ctx, a)
				if err != nil {
					fmt.Fprintf(g.stderr, "cais: starting %s: %v\n", a, err)
					failed = true
					continue
				}
				st, err := e.State(ctx, ctr)
				if err == nil && st.State == monitor.StateRunning && !attach {
					fmt.Fprintln(g.stdout, a) // Docker: starting a running container is a no-op
					continue
				}
				if err == nil {
					err = e.RecreateContainer(ctx, ctr)
				}
				var s *session
				if err == nil && attach {
					s, err = attachSession(ctx, g, e, ctr, interactive && ctr.OpenStdin, true)
				}
				if err == nil && st.State != monitor.StateRunning {
					err = e.StartContainer(ctx, ctr)
				}
				if err != nil {
					if s != nil {
						s.close()
					}
					fmt.Fprintf(g.stderr, "cais: starting %s: %v\n", a, err)
					failed = true
					continue
				}
				if !attach {
					fmt.Fprintln(g.stdout, a)
					continue
				}
				code, err := e.WaitContainer(ctx, ctr)
				<-s.a.Done()
				s.close()
				if err != nil {
					fmt.Fprintf(g.stderr, "cais: waiting for %s: %v\n", a, err)
					return exitError{exitFailure}
				}
				if code != 0 {
					return exitError{code}
				}
			}
			if failed {
				return exitError{exitFailure}
			}
			return nil
		},
	}
	c.Flags().BoolVarP(&attach, "attach", "a", false, "attach stdout/stderr and return the container's exit code")
	c.Flags().BoolVarP(&interactive, "interactive", "i", false, "attach the container's stdin (created with -i) too")
	return c
}
