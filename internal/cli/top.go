package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func topCmd(g *globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "top CONTAINER [ps OPTIONS]",
		Short: "Display the running processes of a container",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine(c.Context())
			if err != nil {
				return err
			}
			ctr, err := e.FindContainer(c.Context(), args[0])
			if err != nil {
				return err
			}
			res, err := e.TopContainer(c.Context(), ctr, args[1:])
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(g.stdout, 20, 1, 3, ' ', 0)
			fmt.Fprintln(w, strings.Join(res.Titles, "\t"))
			for _, p := range res.Processes {
				fmt.Fprintln(w, strings.Join(p, "\t"))
			}
			return w.Flush()
		},
	}
	// ps options after the container belong to ps, as Docker's.
	c.Flags().SetInterspersed(false)
	return c
}
