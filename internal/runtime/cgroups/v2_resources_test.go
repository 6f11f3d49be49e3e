package cgroups

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/errdefs"
)

func TestCPUWeight(t *testing.T) {
	tests := []struct{ shares, want uint64 }{
		{0, 0}, {1, 1}, {2, 1}, {512, 59}, {1024, 100}, {2048, 174}, {262144, 10000}, {300000, 10000},
	}
	for _, tt := range tests {
		if got := cpuWeight(tt.shares); got != tt.want {
			t.Errorf("cpuWeight(%d) = %d, want %d", tt.shares, got, tt.want)
		}
	}
	prev := uint64(0)
	for s := uint64(2); s <= 262144; s += 97 {
		w := cpuWeight(s)
		if w < prev || w < 1 || w > 10000 {
			t.Fatalf("cpuWeight(%d) = %d after %d: not monotonic within 1..10000", s, w, prev)
		}
		prev = w
	}
}

func TestIOWeight(t *testing.T) {
	for _, tt := range []struct {
		in   uint16
		want uint64
	}{{0, 0}, {10, 1}, {500, 4950}, {750, 7475}, {1000, 10000}} {
		if got := ioWeight(tt.in); got != tt.want {
			t.Errorf("ioWeight(%d) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// fakeV2Files is a container cgroup dir of a v2 kernel with the memory, cpu,
// io, pids and hugetlb controllers enabled.
func fakeV2Files() map[string]string {
	return map[string]string{
		"c/cgroup.controllers": "cpuset cpu io memory hugetlb pids",
		"c/memory.max":         "", "c/memory.low": "", "c/memory.swap.max": "", "c/memory.current": "1000",
		"c/cpu.weight": "", "c/cpu.max": "", "c/cpu.max.burst": "", "c/cpu.idle": "",
		"c/cpuset.cpus": "", "c/cpuset.mems": "", "c/pids.max": "", "c/io.weight": "", "c/io.max": "",
		"c/hugetlb.2MB.max": "", "c/memory.high": "",
	}
}

func TestPlanV2(t *testing.T) {
	dev := func(maj, min int64, rate uint64) specs.LinuxThrottleDevice {
		return specs.LinuxThrottleDevice{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: maj, Minor: min}, Rate: rate}
	}
	tests := []struct {
		name    string
		extra   map[string]string
		r       *specs.LinuxResources
		want    []write
		wantErr error
		errHas  string
	}{
		{name: "nil writes nothing"},
		{name: "empty sections write nothing", r: &specs.LinuxResources{
			Memory: &specs.LinuxMemory{}, CPU: &specs.LinuxCPU{}, Pids: &specs.LinuxPids{}, BlockIO: &specs.LinuxBlockIO{},
		}},
		{name: "swap is converted to swap alone", r: &specs.LinuxResources{Memory: &specs.LinuxMemory{
			Limit: ptr[int64](100 << 20), Swap: ptr[int64](300 << 20), Reservation: ptr[int64](50 << 20)}},
			want: []write{{"", "memory.swap.max", "209715200"}, {"", "memory.max", "104857600"}, {"", "memory.low", "52428800"}}},
		{name: "unlimited", r: &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr[int64](-1), Swap: ptr[int64](-1)}},
			want: []write{{"", "memory.swap.max", "max"}, {"", "memory.max", "max"}}},
		{name: "swap equal to limit is no swap", r: &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr[int64](1 << 20), Swap: ptr[int64](1 << 20)}},
			want: []write{{"", "memory.swap.max", "0"}, {"", "memory.max", "1048576"}}},
		{name: "swap below limit", r: &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr[int64](200), Swap: ptr[int64](100)}},
			wantErr: errdefs.ErrInvalidArgument, errHas: "linux.resources.memory.swap"},
		{name: "swap without limit", r: &specs.LinuxResources{Memory: &specs.LinuxMemory{Swap: ptr[int64](100)}},
			wantErr: errdefs.ErrInvalidArgument, errHas: "needs a memory limit"},
		{name: "check before update refuses a limit under usage", r: &specs.LinuxResources{Memory: &specs.LinuxMemory{
			Limit: ptr[int64](999), CheckBeforeUpdate: ptr(true)}},
			wantErr: errdefs.ErrConflict, errHas: "linux.resources.memory.limit"},
		{name: "swappiness unsupported", r: &specs.LinuxResources{Memory: &specs.LinuxMemory{Swappiness: ptr[uint64](0)}},
			wantErr: errdefs.ErrNotImplemented, errHas: "swappiness"},
		{name: "cpu", r: &specs.LinuxResources{CPU: &specs.LinuxCPU{
			Shares: ptr[uint64](1024), Quota: ptr[int64](50000), Period: ptr[uint64](100000), Burst: ptr[uint64](10000),
			Idle: ptr[int64](0), Cpus: "0", Mems: "0"}},
			want: []write{
				{"", "cpu.weight", "100"}, {"", "cpu.max", "50000 100000"}, {"", "cpu.max.burst", "10000"},
				{"", "cpu.idle", "0"}, {"", "cpuset.cpus", "0"}, {"", "cpuset.mems", "0"},
			}},
		{name: "cpu period alone keeps no quota", r: &specs.LinuxResources{CPU: &specs.LinuxCPU{Period: ptr[uint64](20000)}},
			want: []write{{"", "cpu.max", "max 20000"}}},
		{name: "cpu quota -1", r: &specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: ptr[int64](-1)}},
			want: []write{{"", "cpu.max", "max"}}},
		{name: "zeros are unset, as docker update sends them", r: &specs.LinuxResources{CPU: &specs.LinuxCPU{
			Shares: ptr[uint64](0), Period: ptr[uint64](0), Quota: ptr[int64](0), RealtimePeriod: ptr[uint64](0), RealtimeRuntime: ptr[int64](0)}}},
		{name: "realtime unsupported", r: &specs.LinuxResources{CPU: &specs.LinuxCPU{RealtimeRuntime: ptr[int64](1)}},
			wantErr: errdefs.ErrNotImplemented, errHas: "realtime"},
		{name: "pids", r: &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr[int64](0)}},
			want: []write{{"", "pids.max", "max"}}},
		{name: "io weight converted and io.max grouped by device", r: &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{
			Weight:                  ptr[uint16](750),
			ThrottleReadBpsDevice:   []specs.LinuxThrottleDevice{dev(8, 0, 1<<20)},
			ThrottleWriteBpsDevice:  []specs.LinuxThrottleDevice{dev(8, 16, 2<<20), dev(8, 0, 0)},
			ThrottleReadIOPSDevice:  []specs.LinuxThrottleDevice{dev(8, 0, 100)},
			ThrottleWriteIOPSDevice: []specs.LinuxThrottleDevice{dev(8, 16, 50)},
		}}, want: []write{
			{"", "io.weight", "7475"},
			{"", "io.max", "8:0 rbps=1048576 wbps=max riops=100"},
			{"", "io.max", "8:16 wbps=2097152 wiops=50"},
		}},
		{name: "io weight to bfq as given", extra: map[string]string{"c/io.bfq.weight": ""},
			r: &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: ptr[uint16](750),
				WeightDevice: []specs.LinuxWeightDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8}, Weight: ptr[uint16](100)}}}},
			want: []write{{"", "io.bfq.weight", "750"}, {"", "io.bfq.weight", "8:0 100"}}},
		{name: "io weight out of range", r: &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: ptr[uint16](5)}},
			wantErr: errdefs.ErrInvalidArgument, errHas: "linux.resources.blockIO.weight"},
		{name: "hugetlb with reservations", extra: map[string]string{"c/hugetlb.2MB.rsvd.max": ""},
			r:    &specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4 << 20}}},
			want: []write{{"", "hugetlb.2MB.rsvd.max", "4194304"}, {"", "hugetlb.2MB.max", "4194304"}}},
		{name: "hugetlb page size cannot name another file", r: &specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "../x"}}},
			wantErr: errdefs.ErrInvalidArgument, errHas: "hugepageLimits[0].pageSize"},
		{name: "network unavailable", r: &specs.LinuxResources{Network: &specs.LinuxNetwork{ClassID: ptr[uint32](1)}},
			wantErr: errdefs.ErrUnavailable, errHas: "linux.resources.network"},
		{name: "unified last, verbatim", r: &specs.LinuxResources{
			Pids:    &specs.LinuxPids{Limit: ptr[int64](3)},
			Unified: map[string]string{"memory.high": "1G", "pids.max": "7", "cgroup.max.depth": "2"}},
			want: []write{{"", "pids.max", "3"}, {"", "cgroup.max.depth", "2"}, {"", "memory.high", "1G"}, {"", "pids.max", "7"}}},
		{name: "unified path escape", r: &specs.LinuxResources{Unified: map[string]string{"../memory.max": "1"}},
			wantErr: errdefs.ErrInvalidArgument, errHas: "unified"},
		{name: "unified slash", r: &specs.LinuxResources{Unified: map[string]string{"c/memory.max": "1"}},
			wantErr: errdefs.ErrInvalidArgument, errHas: "unified"},
		{name: "unified controller not enabled", r: &specs.LinuxResources{Unified: map[string]string{"rdma.max": "x"}},
			wantErr: errdefs.ErrUnavailable, errHas: "the rdma controller is not enabled"},
		{name: "bad device rule", r: &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Access: "rwx"}}},
			wantErr: errdefs.ErrInvalidArgument, errHas: "linux.resources.devices[0].access"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := fakeV2Files()
			for k, v := range tt.extra {
				files[k] = v
			}
			root := layout(t, files)
			got, err := planV2(filepath.Join(root, "c"), tt.r)
			if !errors.Is(err, tt.wantErr) || (err != nil && !strings.Contains(err.Error(), tt.errHas)) {
				t.Fatalf("planV2 error = %v, want %v containing %q", err, tt.wantErr, tt.errHas)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("planV2 writes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestV2SetWritesOnlySetFields(t *testing.T) {
	root := layout(t, fakeV2Files())
	m := newV2(root, filepath.Join(root, "c"))
	before := snapshot(t, root)
	if err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr[int64](1 << 20)}, CPU: &specs.LinuxCPU{Shares: ptr[uint64](2)}}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"c/memory.max": "1048576", "c/cpu.weight": "1"}
	if diff := cmp.Diff(want, changed(before, snapshot(t, root))); diff != "" {
		t.Errorf("files changed by Set (-want +got):\n%s", diff)
	}
}

func TestV2CreateEnablesControllersFromTheRootDown(t *testing.T) {
	root := layout(t, map[string]string{
		"cgroup.controllers":       "cpu io memory pids",
		"cgroup.subtree_control":   "memory",
		"a/cgroup.controllers":     "cpu io memory pids",
		"a/cgroup.subtree_control": "",
	})
	m := newV2(root, filepath.Join(root, "a", "c1"))
	if err := m.Create(); err != nil {
		t.Fatal(err)
	}
	got := snapshot(t, root)
	want := map[string]string{
		"cgroup.controllers":       "cpu io memory pids",
		"cgroup.subtree_control":   "+cpu +io +pids", // memory was on already
		"a/cgroup.controllers":     "cpu io memory pids",
		"a/cgroup.subtree_control": "+cpu +io +memory +pids",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after Create (-want +got):\n%s", diff)
	}
	if m.Paths()[""] != filepath.Join(root, "a", "c1") || m.Version() != 2 {
		t.Errorf("Paths() = %v, Version() = %d", m.Paths(), m.Version())
	}
}

func TestV2CreateRefusesTheRoot(t *testing.T) {
	root := t.TempDir()
	if err := newV2(root, root).Create(); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("Create of the root = %v, want InvalidArgument", err)
	}
}
