package engine

import (
	"errors"
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/errdefs"
)

func TestParsePs(t *testing.T) {
	out := "UID          PID    PPID  C STIME TTY          TIME CMD\n" +
		"root           1       0  0 06:00 ?        00:00:01 /sbin/init splash\n" +
		"root         42       1  0 06:01 ?        00:00:00 sh -c sleep 300;  : x\n" +
		"root         43      42  0 06:01 ?        00:00:00 sleep 300\n"
	res, err := parsePs(out, []int{42, 43, 99})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"}; !reflect.DeepEqual(res.Titles, want) {
		t.Errorf("titles %q", res.Titles)
	}
	if len(res.Processes) != 2 || res.Processes[0][7] != "sh -c sleep 300;  : x" || res.Processes[1][1] != "43" {
		t.Errorf("processes %q", res.Processes)
	}
	if _, err := parsePs("USER COMMAND\nroot init\n", []int{1}); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("ps output without PID: %v", err)
	}
}

func TestMergeResources(t *testing.T) {
	i := func(v int64) *int64 { return &v }
	spec := func() *specs.Spec {
		return &specs.Spec{Linux: &specs.Linux{Resources: &specs.LinuxResources{
			Memory: &specs.LinuxMemory{Limit: i(64 << 20), Swap: i(128 << 20)},
		}}}
	}
	s := spec()
	patch, err := mergeResources(s, UpdateOptions{Memory: i(32 << 20), NanoCPUs: i(1.5e9)})
	if err != nil {
		t.Fatal(err)
	}
	if *patch.Memory.Limit != 32<<20 || *patch.Memory.Swap != 128<<20 {
		t.Errorf("memory patch %+v: want the new limit with the kept swap", patch.Memory)
	}
	if *patch.CPU.Quota != 150000 || *patch.CPU.Period != 100000 || s.Annotations[annotationNanoCPUs] != "1500000000" {
		t.Errorf("--cpus 1.5: %+v %v", patch.CPU, s.Annotations)
	}
	if *s.Linux.Resources.Memory.Limit != 32<<20 {
		t.Errorf("spec not updated: %+v", s.Linux.Resources.Memory)
	}
	if p, err := mergeResources(spec(), UpdateOptions{}); p != nil || err != nil {
		t.Errorf("no change: %v %v", p, err)
	}
	for name, o := range map[string]UpdateOptions{
		"memory above swap":  {Memory: i(256 << 20)},
		"swap below memory":  {MemorySwap: i(16 << 20)},
		"tiny memory":        {Memory: i(1 << 20)},
		"cpus with quota":    {NanoCPUs: i(1e9), CPUQuota: i(50000)},
		"short period":       {CPUPeriod: i(10)},
		"cpuset out of host": {CpusetCpus: ptrS("0-4096")},
		"cpuset garbage":     {CpusetCpus: ptrS("a-b")},
	} {
		if _, err := mergeResources(spec(), o); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("%s: %v, want invalid argument", name, err)
		}
	}
}

func ptrS(s string) *string { return &s }
