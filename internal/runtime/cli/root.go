// Package cli is cais-runtime's command line: runc's verbs, flags, exit
// codes and output shapes, so containerd, Docker and Podman can drive it in
// place of runc. One file per verb; each parses flags and calls the container
// package. No container logic lives here.
package cli

import (
	"fmt"
	"io"

	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/version"
)

// globals are the flags every verb shares.
type globals struct {
	root          string
	log           string
	logFormat     string
	debug         bool
	systemdCgroup bool
}

// Main runs the command line and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	g := &globals{}
	root := &cobra.Command{
		Use:           "cais-runtime",
		Short:         "cais-runtime runs OCI containers (runc-compatible command line)",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version.Version,
	}
	root.SetVersionTemplate(versionText())
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	f := root.PersistentFlags()
	f.StringVar(&g.root, "root", "/run/cais-runtime", "root directory for storage of container state")
	f.StringVar(&g.log, "log", "", "log file path (default stderr)")
	f.StringVar(&g.logFormat, "log-format", "text", "log format: text or json")
	f.BoolVar(&g.debug, "debug", false, "enable debug logging")
	f.BoolVar(&g.systemdCgroup, "systemd-cgroup", false, "use systemd to manage cgroups")
	root.AddCommand(
		versionCmd(),
	)
	if err := root.Execute(); err != nil {
		fmt.Fprintln(stderr, "cais-runtime: "+err.Error())
		return 1
	}
	return 0
}

// versionText is runc's --version shape, which containerd's go-runc parses:
// "runc version X", "commit: Y", "spec: Z".
func versionText() string {
	return fmt.Sprintf("cais-runtime version %s\ncommit: %s\nspec: %s\n", version.Version, version.Commit, specs.Version)
}

func versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := io.WriteString(cmd.OutOrStdout(), versionText())
			return err
		},
	}
}
