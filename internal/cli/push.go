package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/engine"
)

func pushCmd(g *globals) *cobra.Command {
	var quiet bool
	c := &cobra.Command{
		Use:   "push [OPTIONS] NAME[:TAG]",
		Short: "Upload an image to a registry",
		Args:  exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine(c.Context())
			if err != nil {
				return err
			}
			ref, err := e.ParseReference(args[0])
			if err != nil {
				return err
			}
			opts := engine.PushOptions{}
			var prog progress
			if !quiet {
				if ref.DefaultTag {
					fmt.Fprintf(g.stdout, "Using default tag: latest\n")
				}
				fmt.Fprintf(g.stdout, "The push refers to repository [%s]\n", familiarRepo(ref))
				prog = newProgress(g.stdout, isTerminal(g.stdout))
				opts.Progress = prog.event
			}
			res, err := e.Push(c.Context(), args[0], opts)
			if prog != nil {
				prog.done(err == nil)
			}
			if err != nil {
				return err
			}
			if quiet {
				fmt.Fprintln(g.stdout, res.Reference.Name)
				return nil
			}
			tag := res.Reference.Tag
			if tag == "" {
				tag = res.Reference.Digest
			}
			fmt.Fprintf(g.stdout, "%s: digest: %s size: %d\n", tag, res.Digest, res.Size)
			return nil
		},
	}
	c.Flags().BoolVarP(&quiet, "quiet", "q", false, "suppress verbose output")
	return c
}

// familiarRepo is the repository as Docker names it in push output
// ("docker.io/library/busybox").
func familiarRepo(r engine.Reference) string { return r.Repository }
