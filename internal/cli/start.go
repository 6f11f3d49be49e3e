package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/engine/monitor"
)

func startCmd(g *globals) *cobra.Command {
	var attach bool
	c := &cobra.Command{
		Use:   "start [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Start one or more created or stopped containers",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
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
				var done <-chan error
				if err == nil && attach {
					done, err = e.AttachContainer(ctx, ctr, g.stdout, g.stderr)
				}
				if err == nil && st.State != monitor.StateRunning {
					err = e.StartContainer(ctx, ctr)
				}
				if err != nil {
					fmt.Fprintf(g.stderr, "cais: starting %s: %v\n", a, err)
					failed = true
					continue
				}
				if !attach {
					fmt.Fprintln(g.stdout, a)
					continue
				}
				code, err := e.WaitContainer(ctx, ctr)
				<-done
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
	return c
}
