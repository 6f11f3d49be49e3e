package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func infoCmd(g *globals) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "info [OPTIONS]",
		Short: "Display system-wide information",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine(c.Context())
			if err != nil {
				return err
			}
			in, err := e.Info(c.Context())
			if err != nil {
				return err
			}
			if format != "" {
				return printTemplate(g, format, []any{in})
			}
			fmt.Fprintf(g.stdout, "Images: %d\nStorage Driver: %s\nCgroup Version: %s\nRuntimes: %s\nCais Root Dir: %s\nCais Run Root Dir: %s\n",
				in.Images, in.Driver, in.CgroupVersion, strings.Join(in.Runtimes, " "), in.Root, in.RunRoot)
			return nil
		},
	}
	c.Flags().StringVarP(&format, "format", "f", "", "format output using a Go template")
	return c
}
