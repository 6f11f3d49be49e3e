package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/testgate"
)

func TestUpdateChangesLimitsSeenInside(t *testing.T) {
	r := newRT(t)
	// The container keeps copying its own memory limit (through its
	// read-only cgroup mount) to a file the test reads.
	b := r.bundle(`while :; do cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max 2>/dev/null > /tmp/limit.new; mv /tmp/limit.new /tmp/limit; sleep 0.05; done`,
		func(s *specs.Spec) {
			s.Root.Readonly = false
			limit := int64(64 << 20)
			s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: &limit}
		})
	r.must("run", "--detach", "--bundle", b, r.name)
	inside := func(want string) {
		t.Helper()
		waitFor(t, func() bool {
			data, _ := os.ReadFile(filepath.Join(b, "rootfs/tmp/limit"))
			return strings.TrimSpace(string(data)) == want
		})
	}
	inside("67108864")

	r.must("update", "--memory", "32m", r.name)
	inside("33554432")

	// containerd's way: a LinuxResources document on stdin.
	c := r.cmd("update", "--resources", "-", r.name)
	c.Stdin = strings.NewReader(`{"memory":{"limit":50331648},"pids":{"limit":40},"devices":[{"allow":true,"access":"rwm"}]}`)
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("update --resources -: %v\n%s", err, out)
	}
	inside("50331648")
	if got := cgroupFile(t, r, "pids", "pids.max"); got != "40" {
		t.Fatalf("pids.max = %s, want 40", got)
	}
	// Devices in the document are ignored: the default deny-all stays
	// (v1 shows it in devices.list; v2's filter is an eBPF program).
	if !testgate.IsCgroup2() {
		if got := cgroupFile(t, r, "devices", "devices.list"); strings.Contains(got, "a *:* rwm") {
			t.Fatalf("update opened every device:\n%s", got)
		}
	}

	// What the runtime remembers agrees with the kernel.
	var ev struct {
		Data struct {
			Memory struct {
				Usage struct {
					Limit uint64 `json:"limit"`
				} `json:"usage"`
			} `json:"memory"`
			Pids struct {
				Limit uint64 `json:"limit"`
			} `json:"pids"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(r.must("events", "--stats", r.name)), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Data.Memory.Usage.Limit != 50331648 || ev.Data.Pids.Limit != 40 {
		t.Fatalf("events after update: %+v", ev.Data)
	}
	st := fixtureState(t, r)
	if l := st.Spec.Linux.Resources; *l.Memory.Limit != 50331648 || *l.Pids.Limit != 40 || len(l.Devices) == 0 || l.Devices[0].Allow {
		t.Fatalf("state.json resources after update: memory %d pids %d devices %+v", *l.Memory.Limit, *l.Pids.Limit, l.Devices)
	}

	if res := r.run("update", "--memory", "1x", r.name); res.code != 1 || !strings.Contains(res.stderr, "invalid size") {
		t.Fatalf("update --memory 1x: exit %d, %s", res.code, res.stderr)
	}
	if res := r.run("update", "--l3-cache-schema", "L3:0=f", r.name); res.code != 1 || !strings.Contains(res.stderr, "Intel RDT") {
		t.Fatalf("update --l3-cache-schema: exit %d, %s", res.code, res.stderr)
	}

	r.must("kill", r.name, "KILL")
	waitFor(t, func() bool { return state(t, r).Status == specs.StateStopped })
	if res := r.run("update", "--memory", "16m", r.name); res.code != 1 || !strings.Contains(res.stderr, "not running") {
		t.Fatalf("update of a stopped container: exit %d, %s", res.code, res.stderr)
	}
}

// fixtureState reads the runtime's state.json of the test container.
func fixtureState(t *testing.T, r *rt) struct{ Spec *specs.Spec } {
	t.Helper()
	var st struct{ Spec *specs.Spec }
	b, err := os.ReadFile(filepath.Join(r.root, r.name, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	return st
}
