package cli

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/engine"
	"golang.org/x/sys/unix"
)

func killCmd(g *globals) *cobra.Command {
	var signal string
	c := &cobra.Command{
		Use:   "kill [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Kill one or more running containers",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			sig, err := parseSignal(signal)
			if err != nil {
				return usageError{err}
			}
			return eachContainer(ctx, g, args, "killing", func(e *engine.Engine, ctr *engine.Container) error {
				return e.KillContainer(ctx, ctr, sig)
			})
		},
	}
	c.Flags().StringVarP(&signal, "signal", "s", "KILL", "signal to send (name or number)")
	return c
}

// parseSignal reads a signal as Docker does: a number, or a name with or
// without SIG.
func parseSignal(s string) (syscall.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil && n > 0 && n < 65 {
		return syscall.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("invalid signal: %s", s)
}
