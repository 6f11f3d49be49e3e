package cli

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/engine"
)

// confirm asks Docker's question on stdout and reports a yes on stdin.
func confirm(g *globals, warning string) bool {
	fmt.Fprintf(g.stdout, "%s\nAre you sure you want to continue? [y/N] ", warning)
	answer, _ := bufio.NewReader(g.stdin).ReadString('\n')
	a := strings.ToLower(strings.TrimSpace(answer))
	return a == "y" || a == "yes"
}

func containerPruneCmd(g *globals) *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove all stopped containers",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if !force && !confirm(g, "WARNING! This will remove all stopped containers.") {
				return nil
			}
			e, err := g.engine(c.Context())
			if err != nil {
				return err
			}
			res, err := pruneContainers(c.Context(), g, e)
			fmt.Fprintf(g.stdout, "Total reclaimed space: %s\n", humanSize(res.SpaceReclaimed))
			return err
		},
	}
	c.Flags().BoolVarP(&force, "force", "f", false, "do not prompt for confirmation")
	stringListVar(c.Flags(), new([]string), "filter", "provide filter values (not supported yet)")
	return c
}

func pruneContainers(ctx context.Context, g *globals, e *engine.Engine) (engine.ContainerPruneResult, error) {
	res, err := e.PruneContainers(ctx)
	if len(res.Deleted) > 0 {
		fmt.Fprintln(g.stdout, "Deleted Containers:")
		for _, id := range res.Deleted {
			fmt.Fprintln(g.stdout, id)
		}
		fmt.Fprintln(g.stdout)
	}
	if err != nil {
		fmt.Fprintf(g.stderr, "cais: %v\n", err)
		return res, exitError{exitFailure}
	}
	return res, nil
}

func systemPruneCmd(g *globals) *cobra.Command {
	var all, force bool
	c := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove stopped containers and unused images",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			images := "all dangling images"
			if all {
				images = "all images without at least one container associated to them"
			}
			if !force && !confirm(g, "WARNING! This will remove:\n  - all stopped containers\n  - "+images+"\n  - unreferenced content and snapshots\n") {
				return nil
			}
			e, err := g.engine(c.Context())
			if err != nil {
				return err
			}
			cres, cerr := pruneContainers(c.Context(), g, e)
			ires, ierr := e.Prune(c.Context(), all)
			if len(ires.Deleted) > 0 {
				fmt.Fprintln(g.stdout, "Deleted Images:")
				for _, d := range ires.Deleted {
					if d.Untagged != "" {
						fmt.Fprintf(g.stdout, "untagged: %s\n", d.Untagged)
					}
					if d.Deleted != "" {
						fmt.Fprintf(g.stdout, "deleted: %s\n", d.Deleted)
					}
				}
				fmt.Fprintln(g.stdout)
			}
			fmt.Fprintf(g.stdout, "Total reclaimed space: %s\n", humanSize(cres.SpaceReclaimed+ires.SpaceReclaimed))
			if cerr != nil {
				return cerr
			}
			return ierr
		},
	}
	c.Flags().BoolVarP(&all, "all", "a", false, "remove all unused images, not just dangling ones")
	c.Flags().BoolVarP(&force, "force", "f", false, "do not prompt for confirmation")
	stringListVar(c.Flags(), new([]string), "filter", "provide filter values (not supported yet)")
	return c
}
