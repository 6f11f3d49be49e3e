// Package cli is cais-runtime's command line: runc's verbs, flags, exit
// codes and output shapes, so containerd, Docker and Podman can drive it in
// place of runc. One file per verb; each parses flags and calls the container
// package. No container logic lives here.
package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"syscall"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"

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
	criu          string
}

// flags declares the global flags. runc takes them before the verb; they
// are also accepted after it, as the runtime did with cobra.
func (g *globals) flags() *flagSet {
	f := newFlagSet()
	f.stringVar(&g.root, "root", "", "/run/cais-runtime", "root directory for storage of container state")
	f.stringVar(&g.log, "log", "", "", "log file path (default stderr)")
	f.stringVar(&g.logFormat, "log-format", "", "text", "log format: text or json")
	f.boolVar(&g.debug, "debug", "", "enable debug logging")
	f.boolVar(&g.systemdCgroup, "systemd-cgroup", "", "use systemd to manage cgroups")
	f.stringVar(&g.rootless, "rootless", "", "auto", "ignore cgroup permission errors (true, false or auto)")
	f.stringVar(&g.criu, "criu", "", "criu", "path to criu (accepted for runc compatibility; checkpoint is not supported)")
	return f
}

// exitError carries a specific exit status (run's container status).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func commands(g *globals) []*command {
	return []*command{
		createCmd(g), startCmd(g), runCmd(g), stateCmd(g), killCmd(g), deleteCmd(g),
		listCmd(g), specCmd(), execCmd(g),
		pauseCmd(g), resumeCmd(g), psCmd(g), updateCmd(g), eventsCmd(g), featuresCmd(), checkpointCmd(), restoreCmd(),
		versionCmd(),
	}
}

// Main runs the command line and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	g := &globals{}
	global := g.flags()
	var showVersion bool
	root := &flagSet{list: slices.Clone(global.list)}
	root.boolVar(&showVersion, "version", "v", "print the version")
	cmds := commands(g)

	rest, err := root.parse(args, nil)
	switch {
	case err == errHelp:
		printRootHelp(stdout, cmds, root)
		return 0
	case err != nil:
		return g.fail(stderr, err)
	case showVersion:
		io.WriteString(stdout, versionText())
		return 0
	case len(rest) == 0:
		printRootHelp(stdout, cmds, root)
		return 0
	}
	verb := rest[0]
	if verb == "help" {
		if len(rest) > 1 {
			if c := find(cmds, rest[1]); c != nil {
				c.printHelp(stdout)
				return 0
			}
			return g.fail(stderr, fmt.Errorf("unknown help topic %q", rest[1]))
		}
		printRootHelp(stdout, cmds, root)
		return 0
	}
	c := find(cmds, verb)
	if c == nil {
		return g.fail(stderr, fmt.Errorf("unknown command %q for \"cais-runtime\"", verb))
	}
	var pos []string
	if c.raw {
		pos = rest[1:]
		if slices.Contains(pos, "--help") || slices.Contains(pos, "-h") {
			err = errHelp
		}
	} else {
		pos, err = c.flags.parse(rest[1:], global)
	}
	if err == errHelp {
		c.printHelp(stdout)
		return 0
	}
	if err == nil {
		err = c.args.check(c.name(), len(pos))
	}
	if err == nil {
		err = g.check(c.name())
	}
	if err == nil {
		err = c.run(&call{ctx: context.Background(), args: pos, stdin: os.Stdin, stdout: stdout, stderr: stderr, flags: c.flags})
	}
	if err == nil {
		return 0
	}
	if e, ok := err.(exitError); ok {
		return e.code
	}
	return g.fail(stderr, err)
}

// fail reports err in --log and on stderr and returns the exit code.
func (g *globals) fail(stderr io.Writer, err error) int {
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

func versionCmd() *command {
	return newCommand("version", "print the version", noArgs, func(c *call) error {
		_, err := io.WriteString(c.stdout, versionText())
		return err
	})
}
