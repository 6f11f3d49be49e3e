package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/engine"
)

func pullCmd(g *globals) *cobra.Command {
	var platform string
	var quiet bool
	c := &cobra.Command{
		Use:   "pull [OPTIONS] NAME[:TAG|@DIGEST]",
		Short: "Download an image from a registry",
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
			opts := engine.PullOptions{Platform: platform}
			var prog progress
			if !quiet {
				if ref.DefaultTag {
					fmt.Fprintf(g.stdout, "Using default tag: latest\n")
				}
				prog = newProgress(g.stdout, isTerminal(g.stdout))
				opts.Progress = prog.event
			}
			res, err := e.Pull(c.Context(), args[0], opts)
			if prog != nil {
				prog.done(err == nil)
			}
			if err != nil {
				return err
			}
			if !quiet {
				fmt.Fprintf(g.stdout, "Digest: %s\n", res.Digest)
				if res.UpToDate {
					fmt.Fprintf(g.stdout, "Status: Image is up to date for %s\n", res.Reference.Familiar)
				} else {
					fmt.Fprintf(g.stdout, "Status: Downloaded newer image for %s\n", res.Reference.Familiar)
				}
			}
			fmt.Fprintln(g.stdout, res.Reference.Name)
			return nil
		},
	}
	c.Flags().StringVar(&platform, "platform", "", "set platform if server is multi-platform capable")
	c.Flags().BoolVarP(&quiet, "quiet", "q", false, "suppress verbose output")
	c.Flags().BoolP("all-tags", "a", false, "download all tagged images in the repository (not supported)")
	c.Flags().Bool("disable-content-trust", true, "skip image verification")
	c.Flags().MarkHidden("disable-content-trust")
	return c
}
