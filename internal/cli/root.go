package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/cais-project/cais/internal/engine"
	"github.com/cais-project/cais/internal/logging"
	"github.com/cais-project/cais/internal/version"
)

// Exit codes, as Docker's CLI uses them: 1 when a command fails, 125 when
// cais itself cannot run the command (bad flags, no engine).
const (
	exitFailure = 1
	exitUsage   = 125
)

// globals are the flags every command shares, and the streams.
type globals struct {
	root, runRoot, logLevel string
	insecure, mirrors       []string
	cniPath                 string

	stdin          io.Reader
	stdout, stderr io.Writer
	eng            *engine.Engine
}

// usageError marks errors of the command line itself (exit 125).
type usageError struct{ error }

func (u usageError) Unwrap() error { return u.error }

// Run runs the cais command line with args (without the program name) and
// returns the exit code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "cais",
		Short:         "cais manages images and containers, Docker-compatible and daemonless",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version.Version,
	}
	root.SetVersionTemplate("cais version {{.Version}}, commit " + version.Commit + "\n")
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w\nSee '%s --help'", err, c.CommandPath())}
	})
	f := root.PersistentFlags()
	f.StringVar(&g.root, "root", "/var/lib/cais", "root directory of persistent state")
	f.StringVar(&g.runRoot, "runroot", "/run/cais", "root directory of runtime state")
	f.StringVar(&g.logLevel, "log-level", "warn", `log level ("debug", "info", "warn", "error")`)
	stringListVar(f, &g.insecure, "insecure-registry", "registry (host[:port]) that may be reached over plain HTTP (repeatable)")
	f.StringVar(&g.cniPath, "cni-path", os.Getenv("CAIS_CNI_PATH"), "directories of CNI plugins, colon-separated (default /usr/lib/cni:/opt/cni/bin; env CAIS_CNI_PATH)")
	stringListVar(f, &g.mirrors, "registry-mirror", "mirror (http[s]://host[:port]) tried first for Docker Hub pulls, in order (repeatable)")

	// Only the branch args name is built (root_tree.go); a bare --version
	// needs none.
	tree := commandTree()
	if path, ok := selectBranch(args, tree, f); !ok {
		addCommands(root, g, tree, nil)
	} else if len(path) > 0 {
		addCommands(root, g, tree, path)
		skipCompletionCmd(root)
	}

	root.PersistentPreRun = func(c *cobra.Command, _ []string) {
		l := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: parseLevel(g.logLevel)}))
		c.SetContext(logging.WithLogger(c.Context(), l))
	}
	err := root.ExecuteContext(ctx)
	if g.eng != nil {
		g.eng.Close()
	}
	if err == nil {
		return 0
	}
	var ue usageError
	if errors.As(err, &ue) || strings.HasPrefix(err.Error(), "unknown command") {
		fmt.Fprintf(stderr, "cais: %v\n", err)
		return exitUsage
	}
	var ex exitError
	if errors.As(err, &ex) {
		return ex.code
	}
	fmt.Fprintf(stderr, "cais: %v\n", err)
	return exitFailure
}

// exitError ends a command with a code after it printed its own errors.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func parseLevel(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelWarn
	}
	return l
}

// engine opens the engine on first use.
func (g *globals) engine(ctx context.Context) (*engine.Engine, error) {
	if g.eng != nil {
		return g.eng, nil
	}
	e, err := engine.New(ctx, engine.Options{Root: g.root, RunRoot: g.runRoot, InsecureRegistries: g.insecure, RegistryMirrors: g.mirrors,
		CNIPath: splitPath(g.cniPath)})
	if err != nil {
		return nil, usageError{fmt.Errorf("starting the engine: %w", err)}
	}
	g.eng = e
	return e, nil
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// exactArgs is cobra.ExactArgs with Docker's message (exit 1, as Docker).
func exactArgs(n int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) != n {
			s := "s"
			if n == 1 {
				s = ""
			}
			return fmt.Errorf("%q requires exactly %d argument%s\nSee '%s --help'", c.CommandPath(), n, s, c.CommandPath())
		}
		return nil
	}
}

func minArgs(n int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) < n {
			return fmt.Errorf("%q requires at least %d argument\nSee '%s --help'", c.CommandPath(), n, c.CommandPath())
		}
		return nil
	}
}
