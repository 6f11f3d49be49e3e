package cgroups

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/testgate"
)

const hostRoot = "/sys/fs/cgroup"

// newV1Test returns a manager for a container cgroup below a parent of
// this test's own, on the host's v1 hierarchies.
func newV1Test(t *testing.T) Manager {
	t.Helper()
	testgate.Root(t)
	testgate.Cgroup1(t)
	m, err := New(hostRoot, testParent(t, hostRoot)+"/c1", "c1")
	if err != nil {
		t.Fatal(err)
	}
	if m.Version() != 1 {
		t.Fatalf("New(%s) on this host: version %d, want 1", hostRoot, m.Version())
	}
	return m
}

func TestV1KernelSetApplyStatsDestroy(t *testing.T) {
	m := newV1Test(t)
	for _, c := range []string{"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids"} {
		if m.Path(c) == "" {
			t.Errorf("Path(%q) is empty, want the %s hierarchy", c, c)
		}
	}
	if err := m.Create(); err != nil {
		t.Fatal(err)
	}
	if err := m.Create(); err != nil {
		t.Fatalf("second Create: %v", err)
	}
	r := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: ptr[int64](64 << 20), Reservation: ptr[int64](32 << 20)},
		CPU: &specs.LinuxCPU{Shares: ptr[uint64](512), Quota: ptr[int64](20000), Period: ptr[uint64](100000),
			Cpus: "0", Mems: "0"},
		Pids: &specs.LinuxPids{Limit: ptr[int64](50)},
	}
	if err := m.Set(r); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ controller, file, want string }{
		{"memory", "memory.limit_in_bytes", "67108864"},
		{"memory", "memory.soft_limit_in_bytes", "33554432"},
		{"cpu", "cpu.shares", "512"},
		{"cpu", "cpu.cfs_quota_us", "20000"},
		{"cpu", "cpu.cfs_period_us", "100000"},
		{"cpuset", "cpuset.cpus", "0"},
		{"cpuset", "cpuset.mems", "0"},
		{"pids", "pids.max", "50"},
	} {
		if got := readKernel(t, m.Path(tt.controller), tt.file); got != tt.want {
			t.Errorf("%s = %q, want %q", tt.file, got, tt.want)
		}
	}

	// The child allocates a megabyte inside the cgroup, then says so.
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
		t.Errorf("Stats pids = %+v, want current >= 2 (shell and sleep) and limit 50", st.Pids)
	}
	if st.CPU.Usage.Total == 0 || len(st.CPU.Usage.PerCPU) == 0 {
		t.Errorf("Stats cpu usage = %+v, want total > 0 and per-CPU values", st.CPU.Usage)
	}
	if len(st.Memory.Raw) == 0 {
		t.Errorf("Stats memory raw is empty, want memory.stat")
	}

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

func TestV1KernelBlkioWeight(t *testing.T) {
	m := newV1Test(t)
	if err := m.Create(); err != nil {
		t.Fatal(err)
	}
	err := m.Set(&specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: ptr[uint16](300)}})
	dir := m.Path("blkio")
	switch {
	case exists(dir, "blkio.weight") || exists(dir, "blkio.bfq.weight"):
		if err != nil {
			t.Fatal(err)
		}
		file := "blkio.weight"
		if !exists(dir, file) {
			file = "blkio.bfq.weight"
		}
		if got := readKernel(t, dir, file); !strings.HasSuffix(got, "300") {
			t.Errorf("%s = %q, want 300", file, got)
		}
	default:
		// No CFQ or BFQ scheduler: the kernel has no weight file, and
		// the error must say which file was missing.
		if err == nil || !strings.Contains(err.Error(), `writing "300" to blkio.weight`) {
			t.Errorf("Set blkio weight without a weight file: %v, want an error naming blkio.weight", err)
		}
	}
}

func TestV1KernelPidsLimitStopsForks(t *testing.T) {
	for _, tt := range []struct {
		limit    int64
		wantFork bool
	}{{1, false}, {10, true}} {
		m := newV1Test(t)
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

func TestV1KernelDevicesDeny(t *testing.T) {
	for _, tt := range []struct {
		name  string
		minor int64
		allow bool
	}{{"only /dev/zero allowed", 5, false}, {"/dev/null allowed", 3, true}} {
		t.Run(tt.name, func(t *testing.T) {
			m := newV1Test(t)
			if err := m.Create(); err != nil {
				t.Fatal(err)
			}
			err := m.Set(&specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{
				{Allow: false, Access: "rwm"},
				{Allow: true, Type: "c", Major: ptr[int64](1), Minor: ptr(tt.minor), Access: "rwm"},
			}})
			if err != nil {
				t.Fatal(err)
			}
			if got := readKernel(t, m.Path("devices"), "devices.list"); got != "c 1:"+fmtInt(&tt.minor)+" rwm" {
				t.Errorf("devices.list = %q", got)
			}
			c := startChild(t, `echo x > /dev/null && echo opened`)
			if err := m.Apply(c.pid()); err != nil {
				t.Fatal(err)
			}
			c.release(t)
			out, _ := c.wait()
			if got := strings.Contains(out, "opened"); got != tt.allow {
				t.Errorf("opening /dev/null: %v (output %q), want %v", got, out, tt.allow)
			}
		})
	}
}

func TestV1KernelFreeze(t *testing.T) {
	m := newV1Test(t)
	c := startChild(t, `/bin/busybox sleep 30`)
	if err := m.Apply(c.pid()); err != nil {
		t.Fatal(err)
	}
	c.release(t)
	t.Cleanup(func() { _ = m.Thaw() }) // a frozen child cannot die
	for _, step := range []struct {
		do   func() error
		want string
	}{{m.Freeze, Frozen}, {m.Thaw, Thawed}, {m.Freeze, Frozen}, {m.Thaw, Thawed}} {
		if err := step.do(); err != nil {
			t.Fatal(err)
		}
		if got := readKernel(t, m.Path("freezer"), "freezer.state"); got != step.want {
			t.Errorf("freezer.state = %q, want %q", got, step.want)
		}
		if got, err := m.FreezerState(); err != nil || got != step.want {
			t.Errorf("FreezerState() = %q, %v; want %q", got, err, step.want)
		}
	}
}

func TestV1KernelUnmountedControllerNamedOnlyWhenUsed(t *testing.T) {
	m := newV1Test(t)
	if m.Path("net_cls") != "" {
		t.Skip("net_cls is mounted on this host")
	}
	if err := m.Create(); err != nil {
		t.Fatal(err)
	}
	if err := m.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr[int64](5)}}); err != nil {
		t.Errorf("Set without network fields: %v", err)
	}
	err := m.Set(&specs.LinuxResources{Network: &specs.LinuxNetwork{ClassID: ptr[uint32](1)}})
	if err == nil || !strings.Contains(err.Error(), "linux.resources.network.classID needs the net_cls controller") {
		t.Errorf("Set network.classID: %v, want an error naming the field and net_cls", err)
	}
}
