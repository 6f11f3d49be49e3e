package cgroups

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestV1StatsFromFiles(t *testing.T) {
	root := layout(t, map[string]string{
		"cpuacct/c/cpuacct.usage":        "3000\n",
		"cpuacct/c/cpuacct.usage_percpu": "1000 2000 \n",
		"cpuacct/c/cpuacct.stat":         "user 2\nsystem 1\n",
		"cpu/c/cpu.stat":                 "nr_periods 10\nnr_throttled 3\nthrottled_time 500\n",
		"memory/c/memory.usage_in_bytes": "4096\n", "memory/c/memory.limit_in_bytes": "8192\n",
		"memory/c/memory.max_usage_in_bytes": "6000\n", "memory/c/memory.failcnt": "1\n",
		"memory/c/memory.memsw.usage_in_bytes": "5000\n", "memory/c/memory.memsw.limit_in_bytes": "9223372036854771712\n",
		"memory/c/memory.stat": "cache 100\nrss 200\n",
		"pids/c/pids.current":  "2\n", "pids/c/pids.max": "max\n",
		"blkio/c/blkio.throttle.io_service_bytes_recursive": "8:0 Read 512\n8:0 Write 1024\nTotal 1536\n",
		"blkio/c/blkio.throttle.io_serviced_recursive":      "8:0 Read 1\n8:0 Write 2\nTotal 3\n",
	})
	paths := map[string]string{}
	for _, c := range []string{"cpuacct", "cpu", "memory", "pids", "blkio"} {
		paths[c] = filepath.Join(root, c, "c")
	}
	got, err := newV1(nil, paths).Stats()
	if err != nil {
		t.Fatal(err)
	}
	want := &Stats{
		CPU: CPUStats{
			Usage:      CPUUsage{Total: 3000, PerCPU: []uint64{1000, 2000}, User: 20_000_000, Kernel: 10_000_000},
			Throttling: Throttling{Periods: 10, ThrottledPeriods: 3, ThrottledTime: 500},
		},
		Memory: MemoryStats{
			Cache: 100,
			Usage: MemoryEntry{Usage: 4096, Limit: 8192, Max: 6000, Failcnt: 1},
			Swap:  MemoryEntry{Usage: 5000, Limit: 9223372036854771712},
			Raw:   map[string]uint64{"cache": 100, "rss": 200},
		},
		Pids: PidsStats{Current: 2},
		Blkio: BlkioStats{
			IoServiceBytesRecursive: []BlkioEntry{{8, 0, "Read", 512}, {8, 0, "Write", 1024}},
			IoServicedRecursive:     []BlkioEntry{{8, 0, "Read", 1}, {8, 0, "Write", 2}},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("v1 Stats (-want +got):\n%s", diff)
	}
}

func TestV2StatsFromFiles(t *testing.T) {
	root := layout(t, map[string]string{
		"c/cpu.stat":            "usage_usec 30\nuser_usec 20\nsystem_usec 10\nnr_periods 5\nnr_throttled 1\nthrottled_usec 7\n",
		"c/memory.current":      "4096\n",
		"c/memory.max":          "max\n",
		"c/memory.peak":         "8192\n",
		"c/memory.events":       "low 0\nhigh 0\nmax 4\noom 0\noom_kill 0\n",
		"c/memory.swap.current": "100\n",
		"c/memory.swap.max":     "max\n",
		"c/memory.stat":         "anon 1000\nfile 2000\n",
		"c/pids.current":        "3\n",
		"c/pids.max":            "10\n",
		"c/io.stat":             "8:0 rbytes=512 wbytes=1024 rios=1 wios=2 dbytes=0 dios=0\n",
		"c/hugetlb.2MB.current": "2097152\n",
		"c/hugetlb.2MB.events":  "max 1\n",
	})
	got, err := newV2(root, filepath.Join(root, "c")).Stats()
	if err != nil {
		t.Fatal(err)
	}
	want := &Stats{
		CPU: CPUStats{
			Usage:      CPUUsage{Total: 30_000, User: 20_000, Kernel: 10_000},
			Throttling: Throttling{Periods: 5, ThrottledPeriods: 1, ThrottledTime: 7_000},
		},
		Memory: MemoryStats{
			Cache: 2000,
			Usage: MemoryEntry{Usage: 4096, Limit: maxUint64, Max: 8192, Failcnt: 4},
			Swap:  MemoryEntry{Usage: 4196, Limit: maxUint64},
			Raw:   map[string]uint64{"anon": 1000, "file": 2000},
		},
		Pids: PidsStats{Current: 3, Limit: 10},
		Blkio: BlkioStats{
			IoServiceBytesRecursive: []BlkioEntry{{8, 0, "Read", 512}, {8, 0, "Write", 1024}},
			IoServicedRecursive:     []BlkioEntry{{8, 0, "Read", 1}, {8, 0, "Write", 2}},
		},
		Hugetlb: map[string]HugetlbStats{"2MB": {Usage: 2097152, Failcnt: 1}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("v2 Stats (-want +got):\n%s", diff)
	}
}
