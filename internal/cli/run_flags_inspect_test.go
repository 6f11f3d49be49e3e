package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cais-project/cais/internal/fixture"
	"github.com/cais-project/cais/internal/testgate"
)

// inspected is the part of `cais inspect` these tests read.
type inspected struct {
	State struct {
		Pid      int
		ExitCode int
		Status   string
	}
	Config struct {
		User        string
		WorkingDir  string
		Entrypoint  []string
		Labels      map[string]string
		StopSignal  string
		StopTimeout *int
	}
	HostConfig struct {
		Memory, MemorySwap, NanoCpus, CpuShares, PidsLimit int64
		CpusetCpus                                         string
		BlkioWeight                                        uint16
		OomScoreAdj                                        int
		Privileged, ReadonlyRootfs                         bool
		CapAdd, CapDrop                                    []string
		Init                                               *bool
		ShmSize                                            int64
		RestartPolicy                                      struct {
			Name              string
			MaximumRetryCount int
		}
	}
}

func inspectOne(t *testing.T, e *env, name string) inspected {
	t.Helper()
	var out []inspected
	if err := json.Unmarshal([]byte(e.must("inspect", name)), &out); err != nil || len(out) != 1 {
		t.Fatalf("inspect %s: %v (%d documents)", name, err, len(out))
	}
	return out[0]
}

// hostCgroupFile reads a cgroup v1 file of the cgroup that pid is in,
// from the host's side.
func hostCgroupFile(t *testing.T, pid int, controller, file string) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines(string(b)) {
		parts := strings.SplitN(l, ":", 3)
		if len(parts) == 3 && strings.Contains(","+parts[1]+",", ","+controller+",") {
			v, err := os.ReadFile(filepath.Join("/sys/fs/cgroup", parts[1], parts[2], file))
			if err != nil {
				t.Errorf("%s: %v", file, err)
				return ""
			}
			return strings.TrimSpace(string(v))
		}
	}
	t.Fatalf("pid %d has no %s cgroup:\n%s", pid, controller, b)
	return ""
}

// TestRunFlagsCgroupAndInspect: the resource flags land in the
// container's cgroup as the host sees it, inspect reports every flag where
// Docker does, and stop uses the container's stop signal.
func TestRunFlagsCgroupAndInspect(t *testing.T) {
	testgate.Cgroup1(t)
	labelFile := filepath.Join(t.TempDir(), "labels")
	writeFile(t, labelFile, "# labels\nfrom.file=yes\n\nbare.in.file\n")
	for _, rt := range []string{"cais-runtime", "runc"} {
		t.Run(rt, func(t *testing.T) {
			if rt == "runc" {
				testgate.Binary(t, "/usr/bin/runc")
			}
			e, name := runEnv(t)
			t.Cleanup(func() { e.run("rm", "-f", name) })
			e.must("run", "-d", "--name", name, "--runtime", rt,
				"-m", "32m", "--memory-swap", "64m", "--cpus", "0.5", "--cpu-shares", "512", "--cpuset-cpus", "0",
				"--blkio-weight", "300", "--oom-score-adj", "200", "--pids-limit", "20",
				"-u", "1000", "-w", "/tmp", "--entrypoint", "/bin/sh", "--read-only", "--cap-add", "NET_ADMIN", "--cap-drop", "MKNOD",
				"--init", "--restart", "on-failure:3", "-l", "a=1", "-l", "bare", "--label-file", labelFile,
				"--stop-signal", "SIGUSR1", "--stop-timeout", "7",
				"busybox:test", "-c", "exec sleep 60")
			got := inspectOne(t, e, name)
			pid := got.State.Pid
			if pid <= 0 {
				t.Fatalf("inspect: no pid (%+v)", got.State)
			}
			cg := []struct{ controller, file, want string }{
				{"memory", "memory.limit_in_bytes", "33554432"},
				{"memory", "memory.memsw.limit_in_bytes", "67108864"},
				{"cpu", "cpu.cfs_quota_us", "50000"},
				{"cpu", "cpu.cfs_period_us", "100000"},
				{"cpu", "cpu.shares", "512"},
				{"cpuset", "cpuset.cpus", "0"},
				{"pids", "pids.max", "20"},
			}
			for _, c := range cg {
				if v := hostCgroupFile(t, pid, c.controller, c.file); v != c.want {
					t.Errorf("%s: %q, want %q", c.file, v, c.want)
				}
			}
			if w := blkioWeight(t, pid); w != "300" {
				t.Errorf("blkio weight: %q, want 300", w)
			}
			if b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/oom_score_adj"); strings.TrimSpace(string(b)) != "200" {
				t.Errorf("oom_score_adj of the init: %q, want 200", b)
			}

			h := got.HostConfig
			yes := true
			checks := []struct {
				what      string
				got, want any
			}{
				{"Memory", h.Memory, int64(32 << 20)}, {"MemorySwap", h.MemorySwap, int64(64 << 20)},
				{"NanoCpus", h.NanoCpus, int64(5e8)}, {"CpuShares", h.CpuShares, int64(512)},
				{"CpusetCpus", h.CpusetCpus, "0"}, {"BlkioWeight", h.BlkioWeight, uint16(300)},
				{"OomScoreAdj", h.OomScoreAdj, 200}, {"PidsLimit", h.PidsLimit, int64(20)},
				{"Privileged", h.Privileged, false}, {"ReadonlyRootfs", h.ReadonlyRootfs, true},
				{"CapAdd", h.CapAdd, []string{"NET_ADMIN"}}, {"CapDrop", h.CapDrop, []string{"MKNOD"}},
				{"Init", h.Init, &yes}, {"ShmSize", h.ShmSize, int64(64 << 20)},
				{"RestartPolicy", h.RestartPolicy.Name + ":" + strconv.Itoa(h.RestartPolicy.MaximumRetryCount), "on-failure:3"},
				{"Config.User", got.Config.User, "1000"}, {"Config.WorkingDir", got.Config.WorkingDir, "/tmp"},
				{"Config.Entrypoint", got.Config.Entrypoint, []string{"/bin/sh"}},
				{"Config.StopSignal", got.Config.StopSignal, "SIGUSR1"},
				{"Config.StopTimeout", got.Config.StopTimeout, intPtr(7)},
				{"Config.Labels", got.Config.Labels, map[string]string{"a": "1", "bare": "", "from.file": "yes", "bare.in.file": ""}},
			}
			for _, c := range checks {
				if !reflect.DeepEqual(c.got, c.want) {
					t.Errorf("inspect %s = %#v, want %#v", c.what, c.got, c.want)
				}
			}

			// stop without -t sends SIGUSR1, which tini passes on to
			// sleep: it dies of it (128+10), not of SIGTERM or SIGKILL.
			// Once tini has started sleep it handles signals; a signal
			// sent earlier could reach the runtime's init before it
			// execs tini, and be lost.
			children := "/proc/" + strconv.Itoa(pid) + "/task/" + strconv.Itoa(pid) + "/children"
			for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
				if b, _ := os.ReadFile(children); len(strings.TrimSpace(string(b))) > 0 {
					break
				}
			}
			e.must("stop", name)
			if st := inspectOne(t, e, name).State; st.Status != "exited" || st.ExitCode != 138 {
				t.Errorf("after stop: %+v, want exited with 138 (SIGUSR1)", st)
			}
			e.must("rm", name)
		})
	}
}

func intPtr(i int) *int { return &i }

// blkioWeight is the cgroup's weight under CFQ (blkio.weight) or BFQ
// (blkio.bfq.weight), whichever the host's scheduler offers.
func blkioWeight(t *testing.T, pid int) string {
	t.Helper()
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	for _, l := range lines(string(b)) {
		parts := strings.SplitN(l, ":", 3)
		if len(parts) == 3 && parts[1] == "blkio" {
			for _, f := range []string{"blkio.weight", "blkio.bfq.weight"} {
				if v, err := os.ReadFile(filepath.Join("/sys/fs/cgroup/blkio", parts[2], f)); err == nil {
					return strings.Fields(string(v))[len(strings.Fields(string(v)))-1]
				}
			}
		}
	}
	return ""
}

// TestStopTimeoutFlag: a container whose process ignores the stop signal
// is killed after its --stop-timeout, not Docker's default 10 seconds;
// -t still overrides it.
func TestStopTimeoutFlag(t *testing.T) {
	e, name := runEnv(t)
	t.Cleanup(func() { e.run("rm", "-f", name) })
	// sleep as pid 1 has no handler, so the kernel drops SIGTERM.
	e.must("run", "-d", "--name", name, "--stop-timeout", "1", "busybox:test", "sleep", "60")
	start := time.Now()
	e.must("stop", name)
	if d := time.Since(start); d > 6*time.Second {
		t.Errorf("stop took %v with --stop-timeout 1", d)
	}
	if st := inspectOne(t, e, name).State; st.ExitCode != 137 {
		t.Errorf("after stop: %+v, want 137 (SIGKILL)", st)
	}
	if got := inspectOne(t, e, name).Config.StopTimeout; got == nil || *got != 1 {
		t.Errorf("Config.StopTimeout = %v, want 1", got)
	}
}

// TestEntrypointFlag: --entrypoint replaces the image's and drops its
// Cmd; --entrypoint "" clears it, so the command runs alone.
func TestEntrypointFlag(t *testing.T) {
	e, name := runEnv(t)
	t.Cleanup(func() { e.run("rm", "-f", name) })
	e.must("import", "-c", `ENTRYPOINT ["/bin/echo", "image-entrypoint"]`, "-c", `CMD ["image-cmd"]`, "-c", "STOPSIGNAL SIGUSR2",
		fixture.BusyboxRootfs(t), "entry:test")
	if out := e.must("run", "--rm", "entry:test"); out != "image-entrypoint image-cmd\n" {
		t.Errorf("image's entrypoint and cmd: %q", out)
	}
	if out := e.must("run", "--rm", "entry:test", "arg"); out != "image-entrypoint arg\n" {
		t.Errorf("image's entrypoint with an argument: %q", out)
	}
	if out := e.must("run", "--rm", "--entrypoint", "", "entry:test", "echo", "cleared"); out != "cleared\n" {
		t.Errorf(`--entrypoint "": %q`, out)
	}
	if r := e.run("run", "--rm", "--entrypoint", "", "entry:test"); r.code != 125 || !strings.Contains(r.stderr, "no command specified") {
		t.Errorf(`--entrypoint "" and no command: exit %d, %q`, r.code, r.stderr)
	}
	e.must("create", "--name", name, "--entrypoint", "", "entry:test", "true")
	if got := inspectOne(t, e, name).Config.Entrypoint; got != nil {
		t.Errorf(`inspect Entrypoint after --entrypoint "": %q, want null`, got)
	}
	if got := inspectOne(t, e, name).Config.StopSignal; got != "SIGUSR2" {
		t.Errorf("inspect StopSignal = %q, want the image's SIGUSR2", got)
	}
	e.must("rm", "-f", name) // rm refuses a created container without -f (Docker's does not)
}
