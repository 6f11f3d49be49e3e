package cli_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
)

func TestRunShowsIsolation(t *testing.T) {
	r := newRT(t)
	b := r.bundle(`echo host=$(hostname) pid=$$; grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' /proc/self/status; ls /proc/self/fd; cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max`,
		func(s *specs.Spec) {
			limit := int64(64 << 20)
			s.Linux.Resources = &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}}
		})
	out := r.must("run", "--bundle", b, r.name)
	for _, want := range []string{
		"host=" + r.name + " pid=1\n",
		"CapInh:\t0000000000000000\n",
		"CapPrm:\t0000000020000420\n", // AUDIT_WRITE, KILL, NET_BIND_SERVICE
		"CapEff:\t0000000020000420\n",
		"CapBnd:\t0000000020000420\n",
		"CapAmb:\t0000000000000000\n",
		"NoNewPrivs:\t1\n",
		"0\n1\n2\n3\n67108864\n", // ls opens fd 3 for the directory itself
	} {
		if !strings.Contains(out, want) {
			t.Errorf("container output lacks %q:\n%s", want, out)
		}
	}
	if r.stateDirExists() {
		t.Error("run left its state directory behind")
	}
}

func TestRunExitCode(t *testing.T) {
	r := newRT(t)
	res := r.run("run", "--bundle", r.bundle("exit 42"), r.name)
	if res.code != 42 {
		t.Fatalf("exit code %d, want 42 (stderr %s)", res.code, res.stderr)
	}
}

func state(t *testing.T, r *rt) specs.State {
	t.Helper()
	var s specs.State
	if err := json.Unmarshal([]byte(r.must("state", r.name)), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCreateStartKillDelete(t *testing.T) {
	r := newRT(t)
	b := r.bundle("touch /tmp/started; exec sleep 60", func(s *specs.Spec) { s.Root.Readonly = false })
	pidFile := filepath.Join(t.TempDir(), "pid")
	r.must("create", "--bundle", b, "--pid-file", pidFile, r.name)

	st := state(t, r)
	if st.Status != specs.StateCreated || st.Pid <= 0 || st.ID != r.name || st.Bundle != b {
		t.Fatalf("after create: %+v", st)
	}
	pidText, err := os.ReadFile(pidFile)
	if err != nil || string(pidText) != strconv.Itoa(st.Pid) {
		t.Fatalf("pid file %q (%v), state pid %d", pidText, err, st.Pid)
	}
	if _, err := os.Stat(filepath.Join(b, "rootfs/tmp/started")); err == nil {
		t.Fatal("the user's process ran before start")
	}

	r.must("start", r.name)
	if s := state(t, r); s.Status != specs.StateRunning {
		t.Fatalf("after start: %s", s.Status)
	}
	waitFor(t, func() bool { _, err := os.Stat(filepath.Join(b, "rootfs/tmp/started")); return err == nil })

	if res := r.run("delete", r.name); res.code == 0 || !strings.Contains(res.stderr, "not stopped") {
		t.Fatalf("delete of a running container: exit %d, %s", res.code, res.stderr)
	}
	r.must("kill", r.name, "KILL")
	waitFor(t, func() bool { return state(t, r).Status == specs.StateStopped })
	r.must("delete", r.name)
	if res := r.run("state", r.name); res.code == 0 {
		t.Fatal("state of a deleted container succeeded")
	}
}

func TestKillSignalsByNameAndNumber(t *testing.T) {
	for _, sig := range []string{"TERM", "SIGTERM", "15"} {
		t.Run(sig, func(t *testing.T) {
			r := newRT(t)
			// The shell is PID 1 of its namespace: a signal it has no
			// handler for yet is ignored, so wait until the trap is set.
			b := r.bundle(`trap "exit 7" TERM; touch /dev/shm/ready; while :; do sleep 0.1; done`)
			r.must("run", "--detach", "--bundle", b, r.name)
			ready := "/proc/" + strconv.Itoa(state(t, r).Pid) + "/root/dev/shm/ready"
			waitFor(t, func() bool { _, err := os.Stat(ready); return err == nil })
			r.must("kill", r.name, sig)
			waitFor(t, func() bool { return state(t, r).Status == specs.StateStopped })
			r.must("delete", r.name)
		})
	}
}

func TestDeleteForceRunning(t *testing.T) {
	r := newRT(t)
	r.must("run", "--detach", "--bundle", r.bundle("sleep 60 & sleep 60"), r.name)
	r.must("delete", "--force", r.name)
	if r.stateDirExists() {
		t.Fatal("state directory left")
	}
}

func TestListShowsContainers(t *testing.T) {
	r := newRT(t)
	r.must("create", "--bundle", r.bundle("sleep 60"), r.name)
	var list []map[string]any
	if err := json.Unmarshal([]byte(r.must("list", "--format", "json")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0]["id"] != r.name || list[0]["status"] != "created" {
		t.Fatalf("list: %+v", list)
	}
	if q := r.must("list", "-q"); q != r.name+"\n" {
		t.Fatalf("list -q = %q", q)
	}
	if table := r.must("list"); !strings.HasPrefix(table, "ID") || !strings.Contains(table, r.name) {
		t.Fatalf("list table:\n%s", table)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met within 10s")
}

// TestStartAfterInitDied: an init that dies while start waits for it on
// the exec fifo must make start fail, not wait forever holding the
// container's lock; delete must then work. The init is stopped first so
// that start is surely waiting when it dies.
func TestStartAfterInitDied(t *testing.T) {
	r := newRT(t)
	r.must("create", "--bundle", r.bundle("true"), r.name)
	pid := state(t, r).Pid
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := exec.CommandContext(ctx, r.bin, "--root", r.root, "start", r.name)
	out := tempFile(t)
	start.Stdout, start.Stderr = out, out
	if err := start.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until one of start's threads sleeps on the fifo.
	waitFor(t, func() bool {
		tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(start.Process.Pid) + "/task/*/wchan")
		for _, w := range tasks {
			b, _ := os.ReadFile(w)
			if strings.Contains(string(b), "wait_for_partner") || strings.Contains(string(b), "poll") {
				return true
			}
		}
		return false
	})
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := start.Wait()
	if ctx.Err() != nil {
		t.Fatal("start hung after the init died")
	}
	if err == nil {
		t.Fatalf("start succeeded with a dead init: %s", readBack(t, out))
	}
	r.must("delete", "--force", r.name)
}
