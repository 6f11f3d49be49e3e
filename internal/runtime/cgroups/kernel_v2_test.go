package cgroups

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/runtime/cgroups/devices"
	"github.com/cais-project/cais/internal/testgate"
)

// newV2Test returns a manager for a container cgroup below a parent of this
// test's own on a pure cgroup v2 host (the cgroup2 VM lane).
func newV2Test(t *testing.T) Manager {
	t.Helper()
	testgate.Root(t)
	testgate.Cgroup2(t)
	m, err := New(hostRoot, testParent(t, hostRoot)+"/c1", "c1")
	if err != nil {
		t.Fatal(err)
	}
	if m.Version() != 2 {
		t.Fatalf("New(%s): version %d, want 2", hostRoot, m.Version())
	}
	return m
}

// newHybridV2Test returns a v2 manager in the cgroup2 hierarchy of a hybrid
// host (/sys/fs/cgroup/unified, which has no controllers of ours), rooted
// at a parent of this test's own so that nothing of the host's is written.
// Everything that needs no controller runs there: create, join, freeze,
// the device filter, pids, destroy.
func newHybridV2Test(t *testing.T) *v2 {
	t.Helper()
	testgate.Root(t)
	const unified = "/sys/fs/cgroup/unified"
	if testgate.IsCgroup2() || !IsV2(unified) {
		t.Skip("cgroups: needs the hybrid layout's cgroup2 mount at " + unified)
	}
	parent := filepath.Join(unified, strings.TrimPrefix(testParent(t, unified), "/"))
	if err := os.Mkdir(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	return newV2(parent, filepath.Join(parent, "c1"))
}

func TestV2KernelSetApplyStatsDestroy(t *testing.T) {
	m := newV2Test(t)
	if err := m.Create(); err != nil {
		t.Fatal(err)
	}
	dir := m.Path("")
	enabled := strings.Fields(readKernel(t, dir, "cgroup.controllers"))
	for _, c := range []string{"cpu", "memory", "pids"} {
		if !contains(enabled, c) {
			t.Fatalf("cgroup.controllers of the new cgroup = %v, want %s enabled by Create", enabled, c)
		}
	}
	r := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: ptr[int64](64 << 20), Reservation: ptr[int64](16 << 20)},
		CPU:    &specs.LinuxCPU{Shares: ptr[uint64](1024), Quota: ptr[int64](20000), Period: ptr[uint64](100000)},
		Pids:   &specs.LinuxPids{Limit: ptr[int64](50)},
	}
	want := map[string]string{
		"memory.max": "67108864", "memory.low": "16777216", "cpu.weight": "100",
		"cpu.max": "20000 100000", "pids.max": "50",
	}
	if exists(dir, "memory.swap.max") {
		r.Memory.Swap = ptr[int64](96 << 20)
		want["memory.swap.max"] = "33554432"
	}
	if contains(enabled, "cpuset") {
		r.CPU.Cpus, r.CPU.Mems = "0", "0"
		want["cpuset.cpus"], want["cpuset.mems"] = "0", "0"
	}
	if dev := blockDevice(t); dev != nil && contains(enabled, "io") {
		r.BlockIO = &specs.LinuxBlockIO{ThrottleReadBpsDevice: []specs.LinuxThrottleDevice{
			{LinuxBlockIODevice: *dev, Rate: 1 << 20}}}
	}
	if err := m.Set(r); err != nil {
		t.Fatal(err)
	}
	for file, v := range want {
		if got := readKernel(t, dir, file); got != v {
			t.Errorf("%s = %q, want %q", file, got, v)
		}
	}
	if r.BlockIO != nil {
		if got := readKernel(t, dir, "io.max"); !strings.Contains(got, "rbps=1048576") {
			t.Errorf("io.max = %q, want rbps=1048576 for %d:%d", got, r.BlockIO.ThrottleReadBpsDevice[0].Major, r.BlockIO.ThrottleReadBpsDevice[0].Minor)
		}
	}

	c := startChild(t, `x=$(/bin/busybox head -c 1000000 /dev/zero | /bin/busybox tr '\0' a); /bin/busybox sleep 30 & echo ready; wait`)
	if err := m.Apply(c.pid()); err != nil {
		t.Fatal(err)
	}
	assertHasPid(t, m, c.pid())
	c.release(t)
	if got := c.line(t); got != "ready" {
		t.Fatalf("child said %q, want ready", got)
	}
	st, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Memory.Usage.Usage == 0 || st.Memory.Usage.Limit != 64<<20 {
		t.Errorf("Stats memory usage = %+v, want usage > 0 and limit 64MiB", st.Memory.Usage)
	}
	if st.Pids.Current < 2 || st.Pids.Limit != 50 {
		t.Errorf("Stats pids = %+v, want current >= 2 and limit 50", st.Pids)
	}
	if st.CPU.Usage.Total == 0 {
		t.Errorf("Stats cpu usage = %+v, want total > 0", st.CPU.Usage)
	}
	destroyWithChild(t, m, c)
}

// destroyWithChild checks that Destroy refuses while c lives and removes
// every directory once it is gone.
func destroyWithChild(t *testing.T, m Manager, c *child) {
	t.Helper()
	if err := m.Destroy(); err == nil {
		t.Errorf("Destroy with a live process succeeded, want EBUSY")
	}
	c.kill()
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	assertGone(t, m)
	if err := m.Destroy(); err != nil {
		t.Errorf("Destroy when already gone: %v", err)
	}
}

// blockDevice returns a whole disk of this machine, or nil.
func blockDevice(t *testing.T) *specs.LinuxBlockIODevice {
	entries, _ := os.ReadDir("/sys/block")
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, "loop") || strings.HasPrefix(name, "ram") || strings.HasPrefix(name, "zram") {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/sys/block", name, "dev"))
		if err != nil {
			continue
		}
		var d specs.LinuxBlockIODevice
		if _, err := fmt.Sscanf(strings.TrimSpace(string(b)), "%d:%d", &d.Major, &d.Minor); err == nil {
			return &d
		}
	}
	t.Log("no block device: io.max not checked")
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestV2KernelPidsLimitStopsForks(t *testing.T) {
	for _, tt := range []struct {
		limit    int64
		wantFork bool
	}{{1, false}, {10, true}} {
		m := newV2Test(t)
		if err := m.Create(); err != nil {
			t.Fatal(err)
		}
		if err := m.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(tt.limit)}}); err != nil {
			t.Fatal(err)
		}
		c := startChild(t, `( /bin/busybox true ) && echo forked`)
		if err := m.Apply(c.pid()); err != nil {
			t.Fatal(err)
		}
		c.release(t)
		out, _ := c.wait()
		if got := strings.Contains(out, "forked"); got != tt.wantFork {
			t.Errorf("pids.max %d: fork succeeded = %v (output %q), want %v", tt.limit, got, out, tt.wantFork)
		}
	}
}

func TestV2KernelUnified(t *testing.T) {
	m := newV2Test(t)
	if err := m.Create(); err != nil {
		t.Fatal(err)
	}
	err := m.Set(&specs.LinuxResources{
		Pids:    &specs.LinuxPids{Limit: ptr[int64](5)},
		Unified: map[string]string{"memory.high": "100003840", "pids.max": "7"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{"memory.high": "100003840", "pids.max": "7"} {
		if got := readKernel(t, m.Path(""), file); got != want {
			t.Errorf("%s = %q, want %q (unified is written last)", file, got, want)
		}
	}
}

// The following run on a pure v2 host and, for what needs no controller,
// on this hybrid host's unified mount too.

func TestV2KernelDevices(t *testing.T) { checkV2Devices(t, newV2Test(t)) }
func TestV2KernelFreeze(t *testing.T)  { checkV2Freeze(t, newV2Test(t)) }
func TestV2KernelHybridDevices(t *testing.T) {
	checkV2Devices(t, newHybridV2Test(t))
}
func TestV2KernelHybridFreeze(t *testing.T) { checkV2Freeze(t, newHybridV2Test(t)) }

func TestV2KernelHybridApplyPidsDestroy(t *testing.T) {
	m := newHybridV2Test(t)
	c := startChild(t, `/bin/busybox sleep 30 & echo ready; wait`)
	if err := m.Apply(c.pid()); err != nil {
		t.Fatal(err)
	}
	c.release(t)
	if got := c.line(t); got != "ready" {
		t.Fatalf("child said %q, want ready", got)
	}
	assertHasPid(t, m, c.pid())
	pids, err := m.Pids()
	if err != nil || len(pids) != 2 {
		t.Errorf("Pids() = %v, %v; want the shell and sleep", pids, err)
	}
	st, err := m.Stats()
	if err != nil {
		t.Fatalf("Stats without controllers: %v", err)
	}
	if st.Memory.Usage.Usage != 0 {
		t.Errorf("Stats memory = %+v without the memory controller, want zero", st.Memory)
	}
	destroyWithChild(t, m, c)
}

func checkV2Devices(t *testing.T, m Manager) {
	t.Helper()
	if err := m.Create(); err != nil {
		t.Fatal(err)
	}
	rules := func(minor int64) *specs.LinuxResources {
		return &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{
			{Allow: false, Access: "rwm"},
			{Allow: true, Type: "c", Major: ptr[int64](1), Minor: ptr(minor), Access: "rwm"},
		}}
	}
	for _, tt := range []struct {
		name  string
		minor int64
		allow bool
	}{{"only /dev/zero allowed", 5, false}, {"re-Set allows /dev/null", 3, true}} {
		if err := m.Set(rules(tt.minor)); err != nil {
			t.Fatal(err)
		}
		ids, err := devices.Attached(m.Path(""))
		if err != nil || len(ids) != 1 {
			t.Errorf("%s: attached programs %v, %v; want exactly one", tt.name, ids, err)
		}
		c := startChild(t, `echo x > /dev/null && echo opened`)
		if err := m.Apply(c.pid()); err != nil {
			t.Fatal(err)
		}
		c.release(t)
		out, _ := c.wait()
		if got := strings.Contains(out, "opened"); got != tt.allow {
			t.Errorf("%s: opening /dev/null = %v (output %q), want %v", tt.name, got, out, tt.allow)
		}
	}
}

func checkV2Freeze(t *testing.T, m Manager) {
	t.Helper()
	c := startChild(t, `/bin/busybox sleep 30`)
	if err := m.Apply(c.pid()); err != nil {
		t.Fatal(err)
	}
	c.release(t)
	t.Cleanup(func() { _ = m.Thaw() })
	for _, step := range []struct {
		do               func() error
		want, wantFreeze string
	}{{m.Freeze, Frozen, "1"}, {m.Thaw, Thawed, "0"}, {m.Freeze, Frozen, "1"}, {m.Thaw, Thawed, "0"}} {
		if err := step.do(); err != nil {
			t.Fatal(err)
		}
		if got := readKernel(t, m.Path(""), "cgroup.freeze"); got != step.wantFreeze {
			t.Errorf("cgroup.freeze = %q, want %q", got, step.wantFreeze)
		}
		if !strings.Contains(readKernel(t, m.Path(""), "cgroup.events"), "frozen "+step.wantFreeze) {
			t.Errorf("cgroup.events does not say frozen %s", step.wantFreeze)
		}
		if got, err := m.FreezerState(); err != nil || got != step.want {
			t.Errorf("FreezerState() = %q, %v; want %q", got, err, step.want)
		}
	}
}
