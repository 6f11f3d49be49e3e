package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

func runCmd(g *globals) *cobra.Command {
	var cf containerFlags
	var detach, sigProxy bool
	c := &cobra.Command{
		Use:   "run [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create and run a new container from an image",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			o, err := cf.options(g, args)
			if err != nil {
				return err
			}
			o.Start = detach
			o.CreateOnStart = true // made by the start below, once attached
			e, err := g.engine(ctx)
			if err != nil {
				return err
			}
			ctr, err := e.CreateContainer(ctx, o)
			if err != nil {
				return createFailed(g, err)
			}
			if detach {
				fmt.Fprintln(g.stdout, ctr.ID)
				return nil
			}
			// From here the signals go to the container, not to ctx.
			ctx = context.WithoutCancel(ctx)
			claimed := claimRemovalAsync(ctx, e, ctr, o.AutoRemove) // beside the attach
			s, err := attachSession(ctx, g, e, ctr, o.Interactive, sigProxy)
			release, cerr := claimed()
			defer release()
			if err == nil {
				defer s.close()
				err = cerr
			}
			var waited <-chan waitResult
			if err == nil {
				waited = waitAsync(ctx, e, ctr) // run_wait.go
				err = e.StartContainer(ctx, ctr)
			}
			if err != nil {
				e.RemoveContainer(ctx, ctr, true)
				return createFailed(g, err) // 126/127 when the program cannot run
			}
			w := <-waited
			code, err := w.code, w.err
			<-s.a.Done()
			s.close()
			if err != nil {
				fmt.Fprintf(g.stderr, "cais: waiting for %s: %v\n", ctr.Name, err)
				return exitError{exitUsage}
			}
			if o.AutoRemove {
				// Our claim kept the monitor from removing it: we do.
				if err := e.RemoveAutoRemoved(ctx, ctr); err != nil {
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
	f.BoolVar(&sigProxy, "sig-proxy", true, "send the signals a foreground run receives to the container")
	cf.register(f, "run")
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
