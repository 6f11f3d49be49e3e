package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/engine"
	"github.com/cais-project/cais/internal/engine/ocicli"
	"github.com/cais-project/cais/internal/errdefs"
)

func execCmd(g *globals) *cobra.Command {
	var o engine.ExecOptions
	var interactive bool
	c := &cobra.Command{
		Use:   "exec [OPTIONS] CONTAINER COMMAND [ARG...]",
		Short: "Execute a command in a running container",
		Args:  minArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			e, err := g.engine(ctx)
			if err != nil {
				return err
			}
			ctr, err := e.FindContainer(ctx, args[0])
			if err != nil {
				fmt.Fprintf(g.stderr, "cais: %v\n", err)
				return exitError{exitFailure}
			}
			o.Cmd = args[1:]
			if !o.Detach {
				o.Stdout, o.Stderr = fileOf(g.stdout), fileOf(g.stderr)
				if interactive {
					o.Stdin = fileOf(g.stdin)
				}
			}
			if o.Tty && !o.Detach {
				restore, err := execTerminal(g, &o, interactive)
				if err != nil {
					fmt.Fprintf(g.stderr, "cais: %v\n", err)
					return exitError{exitFailure}
				}
				defer restore()
			}
			code, err := e.ExecContainer(ctx, ctr, o)
			if err != nil {
				fmt.Fprintf(g.stderr, "cais: %v\n", err)
				if n := ocicli.ExitCode(err); n != 0 {
					return exitError{n}
				}
				if errors.Is(err, errdefs.ErrConflict) || errors.Is(err, errdefs.ErrInvalidArgument) {
					return exitError{exitFailure}
				}
				return exitError{ocicliFailure}
			}
			if code != 0 {
				return exitError{code}
			}
			return nil
		},
	}
	c.Flags().SetInterspersed(false)
	f := c.Flags()
	f.BoolVarP(&o.Detach, "detach", "d", false, "run the command in the background")
	f.BoolVarP(&interactive, "interactive", "i", false, "send this command's stdin to the process")
	f.BoolVarP(&o.Tty, "tty", "t", false, "give the process a terminal")
	stringListVarP(f, &o.Env, "env", "e", "set an environment variable K=V (repeatable)")
	f.StringVarP(&o.User, "user", "u", "", "UID[:GID] to run the command as")
	f.StringVarP(&o.WorkDir, "workdir", "w", "", "working directory inside the container")
	return c
}

// ocicliFailure is Docker's code when the runtime could not run an exec.
const ocicliFailure = 126

// fileOf is the file behind a stream, for the runtime to hand on; a
// stream that is no file becomes nil (/dev/null).
func fileOf(v any) *os.File {
	f, _ := v.(*os.File)
	return f
}
