package cli

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/runtime/cgroups"
	"github.com/cais-project/cais/internal/runtime/container"
)

func eventsCmd(g *globals) *command {
	var interval time.Duration
	var statsOnce bool
	cmd := newCommand("events [--stats] [--interval 5s] CONTAINER_ID", "print a container's resource usage and OOM events as JSON lines", exactArgs(1),
		func(cl *call) error {
			args := cl.args
			if interval <= 0 {
				return fmt.Errorf("--interval %s: must be greater than 0: %w", interval, errdefs.ErrInvalidArgument)
			}
			c, err := container.Load(g.root, args[0])
			if err != nil {
				return err
			}
			enc := json.NewEncoder(cl.stdout)
			if statsOnce {
				s, err := c.Stats()
				if err != nil {
					return err
				}
				return enc.Encode(statsEvent(c.ID(), s))
			}
			return streamEvents(cl, c, enc, interval)
		})
	cmd.long = "events prints one JSON object per line: {\"type\":\"stats\",...} every --interval and\n" +
		"{\"type\":\"oom\",...} when the OOM killer acts, until the container stops.\n" +
		"With --stats it prints the stats once and exits."
	cmd.flags.durationVar(&interval, "interval", 5*time.Second, "time between two stats events")
	cmd.flags.boolVar(&statsOnce, "stats", "", "print the container's stats once and exit")
	return cmd
}

// streamEvents prints stats every interval and OOM events as they come,
// until the container stops or the command's context ends.
func streamEvents(cl *call, c *container.Container, enc *json.Encoder, interval time.Duration) error {
	if c.Status() == container.Stopped {
		return fmt.Errorf("container with id %s is not running: %w", c.ID(), errdefs.ErrConflict)
	}
	ctx := cl.ctx
	oom, err := c.NotifyOOM(ctx)
	if err != nil {
		return err
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	oomEvent := event{Type: "oom", ID: c.ID()}
	for {
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-oom:
			if !ok {
				oom = nil // the cgroup is gone; the next tick sees the container stopped
				continue
			}
			if err := enc.Encode(oomEvent); err != nil {
				return err
			}
		case <-ticker.C:
			if c.Status() == container.Stopped {
				// An OOM kill may have stopped it: report that first.
				select {
				case _, ok := <-oom:
					if ok {
						enc.Encode(oomEvent)
					}
				default:
				}
				return nil
			}
			s, err := c.Stats()
			if err != nil {
				fmt.Fprintln(cl.stderr, "warning:", err)
				continue
			}
			if err := enc.Encode(statsEvent(c.ID(), s)); err != nil {
				return err
			}
		}
	}
}

// The types below are the JSON shape of runc's events (runc's
// types/events.go), which containerd's go-runc decodes; cgroups.Stats is
// converted to them here, at the edge.

type event struct {
	Type string      `json:"type"`
	ID   string      `json:"id"`
	Data *eventStats `json:"data,omitempty"`
}

type eventStats struct {
	CPU               eventCPU                `json:"cpu"`
	Memory            eventMemory             `json:"memory"`
	Pids              eventPids               `json:"pids"`
	Blkio             eventBlkio              `json:"blkio"`
	Hugetlb           map[string]eventHugetlb `json:"hugetlb"`
	IntelRdt          struct{}                `json:"intel_rdt"`
	NetworkInterfaces []struct{}              `json:"network_interfaces"`
}

type eventCPU struct {
	Usage struct {
		Total  uint64   `json:"total,omitempty"`
		Percpu []uint64 `json:"percpu,omitempty"`
		Kernel uint64   `json:"kernel"`
		User   uint64   `json:"user"`
	} `json:"usage"`
	Throttling struct {
		Periods          uint64 `json:"periods,omitempty"`
		ThrottledPeriods uint64 `json:"throttledPeriods,omitempty"`
		ThrottledTime    uint64 `json:"throttledTime,omitempty"`
	} `json:"throttling"`
}

type eventMemoryEntry struct {
	Limit   uint64 `json:"limit"`
	Usage   uint64 `json:"usage,omitempty"`
	Max     uint64 `json:"max,omitempty"`
	Failcnt uint64 `json:"failcnt"`
}

type eventMemory struct {
	Cache     uint64            `json:"cache,omitempty"`
	Usage     eventMemoryEntry  `json:"usage"`
	Swap      eventMemoryEntry  `json:"swap"`
	Kernel    eventMemoryEntry  `json:"kernel"`
	KernelTCP eventMemoryEntry  `json:"kernelTCP"`
	Raw       map[string]uint64 `json:"raw,omitempty"`
}

type eventPids struct {
	Current uint64 `json:"current,omitempty"`
	Limit   uint64 `json:"limit,omitempty"`
}

type eventBlkioEntry struct {
	Major uint64 `json:"major,omitempty"`
	Minor uint64 `json:"minor,omitempty"`
	Op    string `json:"op,omitempty"`
	Value uint64 `json:"value,omitempty"`
}

type eventBlkio struct {
	IoServiceBytesRecursive []eventBlkioEntry `json:"ioServiceBytesRecursive,omitempty"`
	IoServicedRecursive     []eventBlkioEntry `json:"ioServicedRecursive,omitempty"`
}

type eventHugetlb struct {
	Usage   uint64 `json:"usage,omitempty"`
	Max     uint64 `json:"max,omitempty"`
	Failcnt uint64 `json:"failcnt"`
}

func statsEvent(id string, s *cgroups.Stats) event {
	d := &eventStats{Hugetlb: map[string]eventHugetlb{}}
	d.CPU.Usage.Total = s.CPU.Usage.Total
	d.CPU.Usage.Percpu = s.CPU.Usage.PerCPU
	d.CPU.Usage.Kernel = s.CPU.Usage.Kernel
	d.CPU.Usage.User = s.CPU.Usage.User
	d.CPU.Throttling.Periods = s.CPU.Throttling.Periods
	d.CPU.Throttling.ThrottledPeriods = s.CPU.Throttling.ThrottledPeriods
	d.CPU.Throttling.ThrottledTime = s.CPU.Throttling.ThrottledTime
	entry := func(e cgroups.MemoryEntry) eventMemoryEntry {
		return eventMemoryEntry{Limit: e.Limit, Usage: e.Usage, Max: e.Max, Failcnt: e.Failcnt}
	}
	d.Memory = eventMemory{
		Cache:  s.Memory.Cache,
		Usage:  entry(s.Memory.Usage),
		Swap:   entry(s.Memory.Swap),
		Kernel: entry(s.Memory.Kernel),
		Raw:    s.Memory.Raw,
	}
	d.Pids = eventPids{Current: s.Pids.Current, Limit: s.Pids.Limit}
	blkio := func(in []cgroups.BlkioEntry) []eventBlkioEntry {
		var out []eventBlkioEntry
		for _, e := range in {
			out = append(out, eventBlkioEntry{Major: e.Major, Minor: e.Minor, Op: e.Op, Value: e.Value})
		}
		return out
	}
	d.Blkio.IoServiceBytesRecursive = blkio(s.Blkio.IoServiceBytesRecursive)
	d.Blkio.IoServicedRecursive = blkio(s.Blkio.IoServicedRecursive)
	for size, h := range s.Hugetlb {
		d.Hugetlb[size] = eventHugetlb{Usage: h.Usage, Max: h.Max, Failcnt: h.Failcnt}
	}
	return event{Type: "stats", ID: id, Data: d}
}
