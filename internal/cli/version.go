package cli

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/version"
)

func versionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Show the cais version information",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			fmt.Fprintf(g.stdout, "cais version %s, commit %s\n", version.Version, version.Commit)
			fmt.Fprintf(g.stdout, " Go version: %s\n OS/Arch:    %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}
