package container

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/runtime-spec/specs-go"
)

func ptr[T any](v T) *T { return &v }

func TestMergeResources(t *testing.T) {
	base := &specs.LinuxResources{
		Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}},
		Memory:  &specs.LinuxMemory{Limit: ptr(int64(64 << 20)), Swappiness: ptr(uint64(10))},
		CPU:     &specs.LinuxCPU{Shares: ptr(uint64(1024)), Cpus: "0"},
		Pids:    &specs.LinuxPids{Limit: ptr(int64(100))},
	}
	tests := []struct {
		name  string
		base  *specs.LinuxResources
		patch *specs.LinuxResources
		want  *specs.LinuxResources
	}{
		{
			name:  "nil patch copies",
			base:  base,
			patch: nil,
			want:  base,
		},
		{
			name:  "nil base",
			base:  nil,
			patch: &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(1 << 20))}},
			want:  &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(1 << 20))}},
		},
		{
			name: "set fields replace, others stay",
			base: base,
			patch: &specs.LinuxResources{
				Memory:  &specs.LinuxMemory{Reservation: ptr(int64(32 << 20))},
				CPU:     &specs.LinuxCPU{Quota: ptr(int64(50000)), Mems: "0"},
				Pids:    &specs.LinuxPids{Limit: ptr(int64(50))},
				BlockIO: &specs.LinuxBlockIO{Weight: ptr(uint16(300))},
			},
			want: &specs.LinuxResources{
				Devices: base.Devices,
				Memory:  &specs.LinuxMemory{Limit: ptr(int64(64 << 20)), Reservation: ptr(int64(32 << 20)), Swappiness: ptr(uint64(10))},
				CPU:     &specs.LinuxCPU{Shares: ptr(uint64(1024)), Quota: ptr(int64(50000)), Cpus: "0", Mems: "0"},
				Pids:    &specs.LinuxPids{Limit: ptr(int64(50))},
				BlockIO: &specs.LinuxBlockIO{Weight: ptr(uint16(300))},
			},
		},
		{
			name: "devices, hugepages and kernel memory are ignored",
			base: base,
			patch: &specs.LinuxResources{
				Devices:        []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}},
				HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 1}},
				//lint:ignore SA1019 containerd may still send kernel memory; update must ignore it.
				Memory: &specs.LinuxMemory{Kernel: ptr(int64(1))},
			},
			want: base,
		},
		{
			name:  "unlimited memory makes swap unlimited",
			base:  base,
			patch: &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(-1))}},
			want: &specs.LinuxResources{
				Devices: base.Devices,
				Memory:  &specs.LinuxMemory{Limit: ptr(int64(-1)), Swap: ptr(int64(-1)), Swappiness: ptr(uint64(10))},
				CPU:     base.CPU,
				Pids:    base.Pids,
			},
		},
		{
			name:  "unified keys merge",
			base:  &specs.LinuxResources{Unified: map[string]string{"memory.high": "1G", "cpu.weight": "100"}},
			patch: &specs.LinuxResources{Unified: map[string]string{"memory.high": "2G"}},
			want:  &specs.LinuxResources{Unified: map[string]string{"memory.high": "2G", "cpu.weight": "100"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := copyResources(tc.base)
			got, err := MergeResources(tc.base, tc.patch)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("merged resources (-want +got):\n%s", diff)
			}
			after, _ := copyResources(tc.base)
			if diff := cmp.Diff(before, after); diff != "" {
				t.Errorf("MergeResources modified its base (-before +after):\n%s", diff)
			}
		})
	}
}
