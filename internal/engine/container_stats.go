package engine

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/cais-project/cais/internal/engine/monitor"
)

// StatsSample is one reading of a container's resource usage, what
// `cais stats` shows. CPU is cumulative; a percentage needs two samples.
type StatsSample struct {
	Read time.Time
	// Running is false for a container that has no processes; every
	// other field is zero then.
	Running bool
	// CPUTotal is the CPU time the container's cgroup used, in ns.
	CPUTotal uint64
	// MemUsage excludes the inactive page cache, as Docker's does;
	// MemLimit is the cgroup's limit, or the host's memory when unlimited.
	MemUsage, MemLimit uint64
	NetRx, NetTx       uint64
	BlkRead, BlkWrite  uint64
	Pids               uint64
}

// ContainerStats reads c's usage from the runtime (`events --stats`, so
// any runtime works) and its network counters from its network namespace
// (none for a container on the host's network, as Docker).
func (e *Engine) ContainerStats(ctx context.Context, c *Container) (StatsSample, error) {
	s := StatsSample{Read: time.Now()}
	st, err := e.State(ctx, c)
	if err != nil {
		return s, err
	}
	if st.State != monitor.StateRunning && st.State != StatePaused {
		return s, nil
	}
	rt := c.runtime()
	raw, err := rt.Stats(ctx, c.ID)
	if err != nil {
		return s, fmt.Errorf("stats of %s: %w", c.Name, err)
	}
	s.Running = true
	s.CPUTotal = raw.CPU.Usage.Total
	s.MemUsage = raw.Memory.Usage.Usage
	if inactive, ok := raw.Memory.Raw["total_inactive_file"]; ok && inactive < s.MemUsage {
		s.MemUsage -= inactive
	} else if inactive, ok := raw.Memory.Raw["inactive_file"]; ok && inactive < s.MemUsage {
		s.MemUsage -= inactive
	}
	s.MemLimit = raw.Memory.Usage.Limit
	if host := hostMemory(); host > 0 && (s.MemLimit == 0 || s.MemLimit > host) {
		s.MemLimit = host
	}
	s.Pids = raw.Pids.Current
	s.BlkRead, s.BlkWrite = blkioBytes(raw.Raw)
	if rs, err := rt.State(ctx, c.ID); err == nil && rs.Pid > 0 {
		s.NetRx, s.NetTx = netBytes(rs.Pid)
	}
	return s, nil
}

// blkioBytes sums the read and write bytes of the runtime's blkio stats.
func blkioBytes(data json.RawMessage) (read, write uint64) {
	var d struct {
		Blkio struct {
			IoServiceBytesRecursive []struct {
				Op    string `json:"op"`
				Value uint64 `json:"value"`
			} `json:"ioServiceBytesRecursive"`
		} `json:"blkio"`
	}
	if json.Unmarshal(data, &d) != nil {
		return 0, 0
	}
	for _, en := range d.Blkio.IoServiceBytesRecursive {
		switch strings.ToLower(en.Op) {
		case "read":
			read += en.Value
		case "write":
			write += en.Value
		}
	}
	return read, write
}

// netBytes sums the counters of the interfaces of pid's network
// namespace, loopback left out; a process on the host's network counts
// nothing, as Docker shows no network I/O for --network host.
func netBytes(pid int) (rx, tx uint64) {
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", pid))
	if err != nil {
		return 0, 0
	}
	if self, err := os.Readlink("/proc/self/ns/net"); err != nil || self == ns {
		return 0, 0
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/net/dev", pid))
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || strings.TrimSpace(name) == "lo" {
			continue
		}
		fs := strings.Fields(rest)
		if len(fs) < 9 {
			continue
		}
		r, _ := strconv.ParseUint(fs[0], 10, 64)
		t, _ := strconv.ParseUint(fs[8], 10, 64)
		rx, tx = rx+r, tx+t
	}
	return rx, tx
}

// hostMemory is MemTotal from /proc/meminfo, in bytes.
func hostMemory() uint64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "MemTotal:"); ok {
			fs := strings.Fields(rest)
			if len(fs) > 0 {
				kb, _ := strconv.ParseUint(fs[0], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}
