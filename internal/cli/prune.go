package cli

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func pruneCmd(g *globals) *cobra.Command {
	var all, force bool
	c := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove unused images",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if !force {
				what := "all dangling images"
				if all {
					what = "all images without at least one container associated to them"
				}
				fmt.Fprintf(g.stdout, "WARNING! This will remove %s.\nAre you sure you want to continue? [y/N] ", what)
				answer, _ := bufio.NewReader(g.stdin).ReadString('\n')
				if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
					return nil
				}
			}
			e, err := g.engine(c.Context())
			if err != nil {
				return err
			}
			res, err := e.Prune(c.Context(), all)
			if len(res.Deleted) > 0 {
				fmt.Fprintln(g.stdout, "Deleted Images:")
				for _, d := range res.Deleted {
					if d.Untagged != "" {
						fmt.Fprintf(g.stdout, "untagged: %s\n", d.Untagged)
					}
					if d.Deleted != "" {
						fmt.Fprintf(g.stdout, "deleted: %s\n", d.Deleted)
					}
				}
				fmt.Fprintln(g.stdout)
			}
			fmt.Fprintf(g.stdout, "Total reclaimed space: %s\n", humanSize(res.SpaceReclaimed))
			return err
		},
	}
	c.Flags().BoolVarP(&all, "all", "a", false, "remove all unused images, not just dangling ones")
	c.Flags().BoolVarP(&force, "force", "f", false, "do not prompt for confirmation")
	stringListVar(c.Flags(), new([]string), "filter", "provide filter values (not supported yet)")
	return c
}
