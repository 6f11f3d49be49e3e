package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/version"
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
			// Docker's layout: a Client section, then the Server's.
			fmt.Fprintf(g.stdout, "Client:\n Version:    %s\n Context:    default\n Debug Mode: false\n\n", version.Version)
			fmt.Fprintf(g.stdout, "Server:\n Containers: %d\n  Running: %d\n  Paused: %d\n  Stopped: %d\n Images: %d\n Server Version: %s\n",
				in.Containers, in.ContainersRunning, in.ContainersPaused, in.ContainersStopped, in.Images, version.Version)
			fmt.Fprintf(g.stdout, " Storage Driver: %s\n Cgroup Version: %s\n Runtimes: %s\n Default Runtime: cais-runtime\n Cais Root Dir: %s\n Cais Run Root Dir: %s\n",
				in.Driver, in.CgroupVersion, strings.Join(in.Runtimes, " "), in.Root, in.RunRoot)
			return nil
		},
	}
	c.Flags().StringVarP(&format, "format", "f", "", "format output using a Go template")
	return c
}
