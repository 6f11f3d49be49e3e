package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/testgate"
)

// cgroupFile reads a file of the test container's cgroup (the fixture's
// cgroupsPath is /cais-test/<name>): on v1 under the controller's
// hierarchy, on v2 in the unified one.
func cgroupFile(t *testing.T, r *rt, controller, file string) string {
	t.Helper()
	dir := filepath.Join("/sys/fs/cgroup", controller, "cais-test", r.name)
	if testgate.IsCgroup2() {
		dir = filepath.Join("/sys/fs/cgroup", "cais-test", r.name)
	}
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// frozen reports the freezer's view: FROZEN or THAWED (v1's words; on v2
// from cgroup.events).
func frozen(t *testing.T, r *rt) string {
	t.Helper()
	if !testgate.IsCgroup2() {
		return cgroupFile(t, r, "freezer", "freezer.state")
	}
	if strings.Contains(cgroupFile(t, r, "", "cgroup.events"), "frozen 1") {
		return "FROZEN"
	}
	return "THAWED"
}

// procState returns the one-letter state of pid from /proc/PID/stat.
func procState(t *testing.T, pid int) byte {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	return s[strings.LastIndexByte(s, ')')+2]
}

// psPids returns the container's pids as ps --format json prints them.
func psPids(t *testing.T, r *rt) []int {
	t.Helper()
	var pids []int
	if err := json.Unmarshal([]byte(r.must("ps", "--format", "json", r.name)), &pids); err != nil {
		t.Fatal(err)
	}
	return pids
}

func TestPauseResume(t *testing.T) {
	r := newRT(t)
	b := r.bundle(`trap "touch /tmp/usr1" USR1; sleep 60 & while :; do sleep 0.1; done`,
		func(s *specs.Spec) { s.Root.Readonly = false })
	r.must("run", "--detach", "--bundle", b, r.name)
	waitFor(t, func() bool { return len(psPids(t, r)) >= 3 }) // sh, sleep 60, a sleep 0.1
	init := state(t, r).Pid

	r.must("pause", r.name)
	if st := state(t, r).Status; st != specs.ContainerState("paused") {
		t.Fatalf("status after pause: %s", st)
	}
	if fs := frozen(t, r); fs != "FROZEN" {
		t.Fatalf("freezer after pause: %s", fs)
	}
	for _, pid := range psPids(t, r) {
		// A task frozen by the v1 freezer sleeps uninterruptibly; the v2
		// freezer parks tasks in an interruptible sleep.
		if st := procState(t, pid); st != 'D' && !(testgate.IsCgroup2() && st == 'S') {
			t.Errorf("pid %d is in state %c while paused", pid, st)
		}
	}
	if err := unix.Kill(init, unix.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	if res := r.run("pause", r.name); res.code != 1 || !strings.Contains(res.stderr, "is not running") {
		t.Fatalf("pause of a paused container: exit %d, %s", res.code, res.stderr)
	}
	if _, err := os.Stat(filepath.Join(b, "rootfs/tmp/usr1")); err == nil {
		t.Fatal("the frozen shell ran its trap")
	}

	r.must("resume", r.name)
	if st := state(t, r).Status; st != specs.StateRunning {
		t.Fatalf("status after resume: %s", st)
	}
	if fs := frozen(t, r); fs != "THAWED" {
		t.Fatalf("freezer after resume: %s", fs)
	}
	// The signal sent while frozen is handled once thawed.
	waitFor(t, func() bool { _, err := os.Stat(filepath.Join(b, "rootfs/tmp/usr1")); return err == nil })
	if res := r.run("resume", r.name); res.code != 1 || !strings.Contains(res.stderr, "is not paused") {
		t.Fatalf("resume of a running container: exit %d, %s", res.code, res.stderr)
	}

	r.must("kill", r.name, "KILL")
	waitFor(t, func() bool { return state(t, r).Status == specs.StateStopped })
	if res := r.run("pause", r.name); res.code != 1 || !strings.Contains(res.stderr, "is not running") {
		t.Fatalf("pause of a stopped container: exit %d, %s", res.code, res.stderr)
	}
	r.must("delete", r.name)
}

// A created container can be paused (as with runc); it cannot start
// until resumed.
func TestPauseCreated(t *testing.T) {
	r := newRT(t)
	r.must("create", "--bundle", r.bundle("sleep 60"), r.name)
	r.must("pause", r.name)
	if st := state(t, r).Status; st != specs.ContainerState("paused") {
		t.Fatalf("status after pausing a created container: %s", st)
	}
	if res := r.run("start", r.name); res.code != 1 || !strings.Contains(res.stderr, "paused") {
		t.Fatalf("start of a paused container: exit %d, %s", res.code, res.stderr)
	}
	r.must("resume", r.name)
	if st := state(t, r).Status; st != specs.StateCreated {
		t.Fatalf("status after resume: %s", st)
	}
	r.must("delete", "--force", r.name)
}
