package cli

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/engine"
)

func stopCmd(g *globals) *cobra.Command {
	return stopLikeCmd(g, "stop", "Stop one or more running containers", "stopping",
		func(ctx context.Context, e *engine.Engine, c *engine.Container, t time.Duration) error {
			return e.StopContainer(ctx, c, t)
		})
}

func restartCmd(g *globals) *cobra.Command {
	return stopLikeCmd(g, "restart", "Restart one or more containers", "restarting",
		func(ctx context.Context, e *engine.Engine, c *engine.Container, t time.Duration) error {
			return e.RestartContainer(ctx, c, t)
		})
}

// stopLikeCmd is stop and restart: a verb over containers with -t, whose
// default is the container's own --stop-timeout (else 10 s).
func stopLikeCmd(g *globals, verb, short, doing string, do func(context.Context, *engine.Engine, *engine.Container, time.Duration) error) *cobra.Command {
	var secs int
	c := &cobra.Command{
		Use:   verb + " [OPTIONS] CONTAINER [CONTAINER...]",
		Short: short,
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			timeout := time.Duration(secs) * time.Second
			if !c.Flags().Changed("time") {
				timeout = -1 // the container's --stop-timeout, else 10s
			}
			return eachContainer(ctx, g, args, doing, func(e *engine.Engine, ctr *engine.Container) error {
				return do(ctx, e, ctr, timeout)
			})
		},
	}
	c.Flags().IntVarP(&secs, "time", "t", 10, "seconds to wait before killing the container (default: its --stop-timeout, else 10)")
	return c
}
