package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/docker/go-units"
	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/engine"
)

// statsInterval is how far apart the two samples of a CPU percentage are,
// and how often a streaming stats redraws.
const statsInterval = time.Second

func statsCmd(g *globals) *cobra.Command {
	var all, noStream, noTrunc bool
	var format string
	c := &cobra.Command{
		Use:   "stats [OPTIONS] [CONTAINER...]",
		Short: "Display a live stream of container(s) resource usage statistics",
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			e, err := g.engine(ctx)
			if err != nil {
				return err
			}
			l := listing{format: format,
				columns: []string{"ID", "Name", "CPUPerc", "MemUsage", "MemPerc", "NetIO", "BlockIO", "PIDs"},
				headers: map[string]string{"Container": "CONTAINER", "ID": "CONTAINER ID", "Name": "NAME",
					"CPUPerc": "CPU %", "MemUsage": "MEM USAGE / LIMIT", "MemPerc": "MEM %",
					"NetIO": "NET I/O", "BlockIO": "BLOCK I/O", "PIDs": "PIDS"}}
			// Named containers must all exist, as Docker checks before it
			// prints anything.
			var named []*engine.Container
			for _, a := range args {
				ctr, err := e.FindContainer(ctx, a)
				if err != nil {
					return err
				}
				named = append(named, ctr)
			}
			targets := func() ([]statsTarget, error) {
				if len(args) > 0 {
					out := make([]statsTarget, len(named))
					for i, ctr := range named {
						out[i] = statsTarget{arg: args[i], c: ctr}
					}
					return out, nil
				}
				list, err := e.ListContainers(ctx, all)
				if err != nil {
					return nil, err
				}
				out := make([]statsTarget, 0, len(list))
				for i := range list {
					ctr := list[i].Container
					out = append(out, statsTarget{arg: shortID(ctr.ID, noTrunc), c: &ctr})
				}
				return out, nil
			}
			prev := map[string]engine.StatsSample{}
			ts, err := targets()
			if err != nil {
				return err
			}
			sampleAll(ctx, e, ts, prev)
			for {
				if err := sleepCtx(ctx, statsInterval); err != nil {
					return nil // interrupted: Docker's stats ends quietly
				}
				rows := make([]row, 0, len(ts))
				cur := map[string]engine.StatsSample{}
				for _, t := range ts {
					s, err := e.ContainerStats(ctx, t.c)
					if err != nil && ctx.Err() != nil {
						return nil
					}
					cur[t.c.ID] = s
					rows = append(rows, statsRow(t, prev[t.c.ID], s, noTrunc))
				}
				if !noStream {
					io.WriteString(g.stdout, "\033[2J\033[H")
				}
				if err := l.print(g.stdout, rows); err != nil {
					return err
				}
				if noStream {
					return nil
				}
				prev = cur
				if len(args) == 0 {
					if ts, err = targets(); err != nil {
						return err
					}
				}
			}
		},
	}
	f := c.Flags()
	f.BoolVarP(&all, "all", "a", false, "show all containers (default shows just running)")
	f.BoolVar(&noStream, "no-stream", false, "disable streaming stats and only pull the first result")
	f.BoolVar(&noTrunc, "no-trunc", false, "do not truncate output")
	f.StringVar(&format, "format", "", `"table", "json", or a Go template`)
	return c
}

// statsTarget is one container of a stats listing and how the user named
// it (Docker's "Container" field).
type statsTarget struct {
	arg string
	c   *engine.Container
}

func sampleAll(ctx context.Context, e *engine.Engine, ts []statsTarget, into map[string]engine.StatsSample) {
	for _, t := range ts {
		if s, err := e.ContainerStats(ctx, t.c); err == nil {
			into[t.c.ID] = s
		}
	}
}

// statsRow is one line of stats in Docker's field names and units: CPU
// over the time between two samples, memory in binary units, I/O in
// decimal ones.
func statsRow(t statsTarget, prev, cur engine.StatsSample, noTrunc bool) row {
	cpu := 0.0
	if prev.Running && cur.Running && cur.CPUTotal >= prev.CPUTotal {
		if wall := cur.Read.Sub(prev.Read); wall > 0 {
			cpu = float64(cur.CPUTotal-prev.CPUTotal) / float64(wall.Nanoseconds()) * 100
		}
	}
	mem := 0.0
	if cur.MemLimit > 0 {
		mem = float64(cur.MemUsage) / float64(cur.MemLimit) * 100
	}
	pair := func(a, b uint64) string {
		return units.HumanSizeWithPrecision(float64(a), 3) + " / " + units.HumanSizeWithPrecision(float64(b), 3)
	}
	return row{
		"Container": t.arg, "ID": shortID(t.c.ID, noTrunc), "Name": t.c.Name,
		"CPUPerc":  fmt.Sprintf("%.2f%%", cpu),
		"MemUsage": units.BytesSize(float64(cur.MemUsage)) + " / " + units.BytesSize(float64(cur.MemLimit)),
		"MemPerc":  fmt.Sprintf("%.2f%%", mem),
		"NetIO":    pair(cur.NetRx, cur.NetTx), "BlockIO": pair(cur.BlkRead, cur.BlkWrite),
		"PIDs": fmt.Sprintf("%d", cur.Pids),
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
