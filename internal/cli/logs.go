package cli

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/engine"
	"github.com/cais-project/cais/internal/errdefs"
)

func logsCmd(g *globals) *cobra.Command {
	var o engine.LogsOptions
	var tail, since, until string
	c := &cobra.Command{
		Use:   "logs [OPTIONS] CONTAINER",
		Short: "Fetch the logs of a container",
		Args:  exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			if err := parseLogsFlags(&o, tail, since, until); err != nil {
				return err
			}
			e, err := g.engine(ctx)
			if err != nil {
				return err
			}
			ctr, err := e.FindContainer(ctx, args[0])
			if err != nil {
				return err
			}
			return e.ContainerLogs(ctx, ctr, o, g.stdout, g.stderr)
		},
	}
	f := c.Flags()
	f.BoolVarP(&o.Follow, "follow", "f", false, "follow the log output until the container ends")
	f.StringVarP(&tail, "tail", "n", "all", `number of lines to show from the end of the logs, or "all"`)
	f.StringVar(&since, "since", "", `show logs since a time (RFC 3339, Unix seconds) or for a duration ("10m")`)
	f.StringVar(&until, "until", "", `show logs before a time (RFC 3339, Unix seconds) or a duration ago ("10m")`)
	f.BoolVarP(&o.Timestamps, "timestamps", "t", false, "show timestamps")
	return c
}

// parseLogsFlags fills o from the text flags; a bad value names the flag.
func parseLogsFlags(o *engine.LogsOptions, tail, since, until string) error {
	o.Tail = -1
	if tail != "all" && tail != "" {
		n, err := strconv.Atoi(tail)
		if err != nil || n < 0 {
			return fmt.Errorf(`invalid value for "tail": %q is not a number of lines or "all": %w`, tail, errdefs.ErrInvalidArgument)
		}
		o.Tail = n
	}
	now := time.Now()
	for _, b := range []struct {
		name, val string
		to        *time.Time
	}{{"since", since, &o.Since}, {"until", until, &o.Until}} {
		if b.val == "" {
			continue
		}
		t, err := engine.ParseLogTime(b.val, now)
		if err != nil {
			return fmt.Errorf("invalid value for %q: %w", b.name, err)
		}
		*b.to = t
	}
	return nil
}
