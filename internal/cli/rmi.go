package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func rmiCmd(g *globals, use string) *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use:   use + " [OPTIONS] IMAGE [IMAGE...]",
		Short: "Remove one or more images",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine(c.Context())
			if err != nil {
				return err
			}
			failed := false
			for _, a := range args {
				res, err := e.RemoveImage(c.Context(), a, force)
				for _, d := range res {
					if d.Untagged != "" {
						fmt.Fprintf(g.stdout, "Untagged: %s\n", d.Untagged)
					}
					if d.Deleted != "" {
						fmt.Fprintf(g.stdout, "Deleted: %s\n", d.Deleted)
					}
				}
				if err != nil {
					fmt.Fprintf(g.stderr, "cais: removing %s: %v\n", a, err)
					failed = true
				}
			}
			if failed {
				return exitError{exitFailure}
			}
			return nil
		},
	}
	c.Flags().BoolVarP(&force, "force", "f", false, "force removal of the image")
	c.Flags().Bool("no-prune", false, "do not delete untagged parents (cais has none)")
	return c
}
