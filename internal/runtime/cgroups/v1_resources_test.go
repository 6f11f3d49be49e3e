package cgroups

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/errdefs"
)

// fakeV1 lays out a container cgroup "c" in per-controller dirs with the
// files a v1 kernel has; memsw is the current memory.memsw.limit_in_bytes.
// net_cls, net_prio, rdma and hugetlb are "not mounted".
func fakeV1(t *testing.T, memsw string, extra map[string]string) (root string, paths map[string]string) {
	files := map[string]string{
		"memory/c/memory.limit_in_bytes":         "",
		"memory/c/" + memswFile:                  memsw,
		"memory/c/memory.soft_limit_in_bytes":    "",
		"memory/c/memory.swappiness":             "",
		"memory/c/memory.oom_control":            "",
		"memory/c/memory.use_hierarchy":          "",
		"cpu/c/cpu.shares":                       "",
		"cpu/c/cpu.cfs_period_us":                "",
		"cpu/c/cpu.cfs_quota_us":                 "",
		"cpu/c/cpu.cfs_burst_us":                 "",
		"cpu/c/cpu.rt_period_us":                 "",
		"cpu/c/cpu.rt_runtime_us":                "",
		"cpu/c/cpu.idle":                         "",
		"cpuset/c/cpuset.cpus":                   "",
		"cpuset/c/cpuset.mems":                   "",
		"pids/c/pids.max":                        "",
		"blkio/c/blkio.throttle.read_bps_device": "",
		"devices/c/devices.allow":                "",
		"devices/c/devices.deny":                 "",
	}
	for k, v := range extra {
		files[k] = v
	}
	root = layout(t, files)
	paths = map[string]string{}
	for _, c := range []string{"memory", "cpu", "cpuset", "pids", "blkio", "devices"} {
		paths[c] = root + "/" + c + "/c"
	}
	return root, paths
}

func TestPlanV1(t *testing.T) {
	const noLimit = "9223372036854771712" // what v1 prints for "no limit"
	tests := []struct {
		name    string
		memsw   string // current memory.memsw.limit_in_bytes
		extra   map[string]string
		r       *specs.LinuxResources
		want    []write
		wantErr error
		errHas  string
	}{
		{name: "nil writes nothing", r: nil},
		{name: "empty writes nothing", r: &specs.LinuxResources{}},
		{name: "empty sections write nothing", r: &specs.LinuxResources{
			Memory: &specs.LinuxMemory{}, CPU: &specs.LinuxCPU{}, Pids: &specs.LinuxPids{},
			BlockIO: &specs.LinuxBlockIO{}, Network: &specs.LinuxNetwork{}, Devices: []specs.LinuxDeviceCgroup{},
		}},
		{name: "memory limit alone", memsw: noLimit,
			r:    &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr[int64](64 << 20)}},
			want: []write{{"memory", "memory.limit_in_bytes", "67108864"}}},
		{name: "raising above current memsw writes memsw first", memsw: "100000000",
			r: &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr[int64](200000000), Swap: ptr[int64](300000000)}},
			want: []write{
				{"memory", memswFile, "300000000"},
				{"memory", "memory.limit_in_bytes", "200000000"},
			}},
		{name: "lowering writes memory first", memsw: "300000000",
			r: &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr[int64](50000000), Swap: ptr[int64](60000000)}},
			want: []write{
				{"memory", "memory.limit_in_bytes", "50000000"},
				{"memory", memswFile, "60000000"},
			}},
		{name: "lifting the limit lifts memsw first", memsw: "300000000",
			r: &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr[int64](-1)}},
			want: []write{
				{"memory", memswFile, "-1"},
				{"memory", "memory.limit_in_bytes", "-1"},
			}},
		{name: "swap below limit", memsw: noLimit,
			r:       &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr[int64](200), Swap: ptr[int64](100)}},
			wantErr: errdefs.ErrInvalidArgument, errHas: "linux.resources.memory.swap"},
		{name: "other memory fields; kernel ignored", memsw: noLimit,
			r: &specs.LinuxResources{Memory: &specs.LinuxMemory{
				Reservation: ptr[int64](1 << 20), Swappiness: ptr[uint64](10), DisableOOMKiller: ptr(true),
				UseHierarchy: ptr(false), KernelTCP: ptr[int64](1 << 20), // ignored, as runc does
			}},
			want: []write{
				{"memory", "memory.soft_limit_in_bytes", "1048576"},
				{"memory", "memory.swappiness", "10"},
				{"memory", "memory.oom_control", "1"},
				{"memory", "memory.use_hierarchy", "0"},
			}},
		{name: "swappiness above 100", r: &specs.LinuxResources{Memory: &specs.LinuxMemory{Swappiness: ptr[uint64](101)}},
			wantErr: errdefs.ErrInvalidArgument, errHas: "linux.resources.memory.swappiness"},
		{name: "cpu and cpuset", r: &specs.LinuxResources{CPU: &specs.LinuxCPU{
			Shares: ptr[uint64](512), Quota: ptr[int64](50000), Period: ptr[uint64](100000), Burst: ptr[uint64](1000),
			RealtimeRuntime: ptr[int64](950000), RealtimePeriod: ptr[uint64](1000000), Idle: ptr[int64](1),
			Cpus: "0-1", Mems: "0",
		}}, want: []write{
			{"cpu", "cpu.shares", "512"},
			{"cpu", "cpu.cfs_period_us", "100000"},
			{"cpu", "cpu.cfs_quota_us", "50000"},
			{"cpu", "cpu.cfs_burst_us", "1000"},
			{"cpu", "cpu.rt_period_us", "1000000"},
			{"cpu", "cpu.rt_runtime_us", "950000"},
			{"cpu", "cpu.idle", "1"},
			{"cpuset", "cpuset.cpus", "0-1"},
			{"cpuset", "cpuset.mems", "0"},
		}},
		{name: "pids limit", r: &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr[int64](10)}},
			want: []write{{"pids", "pids.max", "10"}}},
		{name: "pids no limit", r: &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr[int64](-1)}},
			want: []write{{"pids", "pids.max", "max"}}},
		{name: "blkio with bfq weight files", extra: map[string]string{"blkio/c/blkio.bfq.weight": ""},
			r: &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{
				Weight:                ptr[uint16](500),
				WeightDevice:          []specs.LinuxWeightDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Weight: ptr[uint16](300)}},
				ThrottleReadBpsDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 1 << 20}},
				ThrottleWriteIOPSDevice: []specs.LinuxThrottleDevice{
					{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 100},
					{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 16}, Rate: 200},
				},
			}},
			want: []write{
				{"blkio", "blkio.bfq.weight", "500"},
				{"blkio", "blkio.bfq.weight_device", "8:0 300"},
				{"blkio", "blkio.throttle.read_bps_device", "8:0 1048576"},
				{"blkio", "blkio.throttle.write_iops_device", "8:0 100"},
				{"blkio", "blkio.throttle.write_iops_device", "8:16 200"},
			}},
		{name: "blkio weight defaults to cfq file", r: &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: ptr[uint16](500)}},
			want: []write{{"blkio", "blkio.weight", "500"}}},
		{name: "blkio weight 0 is unset, as Docker sends it", r: &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{
			Weight: ptr[uint16](0), LeafWeight: ptr[uint16](0)}},
			want: nil},
		{name: "zeros are unset, as docker update sends them", r: &specs.LinuxResources{
			CPU: &specs.LinuxCPU{Shares: ptr[uint64](0), Period: ptr[uint64](0), Quota: ptr[int64](0),
				RealtimePeriod: ptr[uint64](0), RealtimeRuntime: ptr[int64](0)},
			Memory: &specs.LinuxMemory{Limit: ptr[int64](0), Swap: ptr[int64](0), Reservation: ptr[int64](0)}},
			want: nil},
		{name: "devices in order", r: &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{
			{Allow: false, Access: "rwm"},
			{Allow: true, Type: "c", Major: ptr[int64](1), Minor: ptr[int64](3), Access: "rwm"},
			{Allow: true, Type: "c", Major: ptr[int64](136), Access: "rw"},
		}}, want: []write{
			{"devices", "devices.deny", "a"},
			{"devices", "devices.allow", "c 1:3 rwm"},
			{"devices", "devices.allow", "c 136:* rw"},
		}},
		{name: "bad device rule names the field", r: &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Type: "x"}}},
			wantErr: errdefs.ErrInvalidArgument, errHas: "linux.resources.devices[0].type"},
		{name: "net_cls not mounted", r: &specs.LinuxResources{Network: &specs.LinuxNetwork{ClassID: ptr[uint32](0x100001)}},
			wantErr: errdefs.ErrUnavailable, errHas: "linux.resources.network.classID needs the net_cls controller"},
		{name: "hugetlb not mounted", r: &specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 1 << 21}}},
			wantErr: errdefs.ErrUnavailable, errHas: "hugetlb controller"},
		{name: "unified on v1", r: &specs.LinuxResources{Unified: map[string]string{"memory.high": "1"}},
			wantErr: errdefs.ErrInvalidArgument, errHas: "linux.resources.unified"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			memsw := tt.memsw
			if memsw == "" {
				memsw = noLimit
			}
			_, paths := fakeV1(t, memsw, tt.extra)
			got, err := planV1(paths, tt.r)
			if !errors.Is(err, tt.wantErr) || (err != nil && !strings.Contains(err.Error(), tt.errHas)) {
				t.Fatalf("planV1 error = %v, want %v containing %q", err, tt.wantErr, tt.errHas)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("planV1 writes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestV1SetWritesOnlySetFields(t *testing.T) {
	root, paths := fakeV1(t, "9223372036854771712", nil)
	m := newV1(nil, paths)
	before := snapshot(t, root)
	err := m.Set(&specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: ptr[int64](64 << 20)},
		CPU:    &specs.LinuxCPU{Shares: ptr[uint64](256)},
		Pids:   &specs.LinuxPids{Limit: ptr[int64](5)},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"memory/c/memory.limit_in_bytes": "67108864",
		"cpu/c/cpu.shares":               "256",
		"pids/c/pids.max":                "5",
	}
	if diff := cmp.Diff(want, changed(before, snapshot(t, root))); diff != "" {
		t.Errorf("files changed by Set (-want +got):\n%s", diff)
	}
}

func TestWriteErrorNamesFileAndValue(t *testing.T) {
	_, paths := fakeV1(t, "0", nil)
	m := newV1(nil, paths)
	err := m.Set(&specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{LeafWeight: ptr[uint16](100)}})
	want := `cgroups: writing "100" to blkio.leaf_weight: no such file or directory`
	if err == nil || err.Error() != want {
		t.Errorf("Set error = %v, want %q", err, want)
	}
}
