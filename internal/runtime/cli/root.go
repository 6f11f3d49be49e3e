// Package cli is cais-runtime's command line: runc's verbs, flags, exit
// codes and output shapes, so containerd, Docker and Podman can drive it in
// place of runc. One file per verb; each parses flags and calls the container
// package. No container logic lives here.
package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/runtime/container"
	"github.com/cais-project/cais/internal/version"
)

// globals are the flags every verb shares.
type globals struct {
	root          string
	log           string
	logFormat     string
	debug         bool
	systemdCgroup bool
	rootless      string
}

// exitError carries a specific exit status (run's container status).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

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
	f.StringVar(&g.rootless, "rootless", "auto", "ignore cgroup permission errors (true, false or auto)")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error { return g.check(cmd.Name()) }
	root.AddCommand(
		versionCmd(),
		createCmd(g), startCmd(g), runCmd(g), stateCmd(g), killCmd(g), deleteCmd(g),
		listCmd(g), specCmd(), execCmd(g),
		pauseCmd(g), resumeCmd(g), psCmd(g), updateCmd(g), eventsCmd(g), featuresCmd(), checkpointCmd(), restoreCmd(),
	)
	err := root.Execute()
	if err == nil {
		return 0
	}
	if e, ok := err.(exitError); ok {
		return e.code
	}
	g.logError(err)
	fmt.Fprintln(stderr, err.Error())
	return 1
}

func (g *globals) check(verb string) error {
	if g.logFormat != "text" && g.logFormat != "json" {
		return fmt.Errorf("--log-format %q: must be text or json", g.logFormat)
	}
	// Only the verbs that create a cgroup need the driver; the others must
	// still work for callers that pass the flag on every command.
	if g.systemdCgroup && (verb == "create" || verb == "run") {
		return container.CheckSystemdDriver("/proc", "/run")
	}
	return nil
}

// logError records a failure in --log, where containerd looks for the
// reason of a failed command (one JSON object per line, like runc's).
func (g *globals) logError(err error) {
	if g.log == "" {
		return
	}
	f, ferr := os.OpenFile(g.log, os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_CLOEXEC, 0o644)
	if ferr != nil {
		return
	}
	defer f.Close()
	now := time.Now().UTC().Format(time.RFC3339Nano)
	if g.logFormat == "json" {
		b, _ := json.Marshal(map[string]string{"level": "error", "msg": err.Error(), "time": now})
		f.Write(append(b, '\n'))
		return
	}
	fmt.Fprintf(f, "time=%q level=error msg=%q\n", now, err.Error())
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
