package cli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/cais-project/cais/internal/fixture"
)

// procs lists the pids whose cmdline contains every one of subs, or whose
// cgroup file contains cgroup (when not empty).
func procs(t *testing.T, cgroup string, subs ...string) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	self := os.Getpid()
	var out []int
	for _, de := range ents {
		pid, err := strconv.Atoi(de.Name())
		if err != nil || pid == self || zombie(pid) {
			// A zombie holds nothing but its pid: once the container's
			// monitor is gone its init is reaped by the host's PID 1,
			// whenever that gets to it.
			continue
		}
		if cgroup != "" {
			if b, err := os.ReadFile(filepath.Join("/proc", de.Name(), "cgroup")); err == nil && strings.Contains(string(b), cgroup) {
				out = append(out, pid)
				continue
			}
		}
		if len(subs) == 0 {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", de.Name(), "cmdline"))
		if err != nil || len(b) == 0 {
			continue
		}
		cmd := strings.ReplaceAll(string(b), "\x00", " ")
		all := true
		for _, s := range subs {
			all = all && strings.Contains(cmd, s)
		}
		if all {
			out = append(out, pid)
		}
	}
	return out
}

// runtimeRoot is where the engine keeps cais-runtime's state.
func (e *env) runtimeRoot() string { return filepath.Join(e.runRoot, "runtime", "cais-runtime") }

// checkNothingLeft asserts that the containers ids are gone everywhere an
// engine container leaves a trace: ps, processes (monitors by cmdline, the
// container's own by cgroup), cgroup directories and runtime state. The
// mount and snapshot checks are runEnv's.
func checkNothingLeft(t *testing.T, e *env, ids []string) {
	t.Helper()
	if out := e.must("ps", "-a", "-q"); out != "" {
		t.Errorf("ps -a -q: %q, want nothing", out)
	}
	if ps := procs(t, "", "cais-monitor", e.runRoot); len(ps) > 0 {
		t.Errorf("monitors still running: pids %v", ps)
	}
	for _, id := range ids {
		if ps := procs(t, "/cais/"+id); len(ps) > 0 {
			t.Errorf("processes left in container %s's cgroup: %v", id[:12], ps)
		}
		dirs, err := filepath.Glob("/sys/fs/cgroup/*/cais/" + id)
		if err != nil {
			t.Fatal(err)
		}
		if len(dirs) > 0 {
			t.Errorf("cgroup dirs left: %v", dirs)
		}
	}
	rt := fixture.Binary(t, "cais-runtime")
	r := e.runRaw(rt, "--root", e.runtimeRoot(), "list", "-q")
	if r.code != 0 || r.stdout != "" {
		t.Errorf("cais-runtime list: code %d stdout %q stderr %q, want nothing", r.code, r.stdout, r.stderr)
	}
}

// runRaw runs another binary with stdio in temp files.
func (e *env) runRaw(bin string, args ...string) result {
	e.t.Helper()
	saved := e.bin
	e.bin = bin
	defer func() { e.bin = saved }()
	cmd := e.command("")
	cmd.Args = append([]string{bin}, args...)
	outF, errF := e.tempFile(), e.tempFile()
	cmd.Stdout, cmd.Stderr = outF, errF
	err := cmd.Run()
	r := result{stdout: readFile(e.t, outF.Name()), stderr: readFile(e.t, errF.Name())}
	if ee, ok := err.(interface{ ExitCode() int }); ok && err != nil {
		r.code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("%s %v: %v", bin, args, err)
	}
	return r
}

// parallel runs f(i) for i in [0, n) at once, each a cais process.
func parallel(n int, f func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); f(i) }()
	}
	wg.Wait()
}

// TestRunParallel: 20 cais processes running detached containers at once,
// then 20 removing them at once, leave nothing behind.
func TestRunParallel(t *testing.T) {
	e, name := runEnv(t)
	const n = 20
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("%s-%d", name, i)
	}
	t.Cleanup(func() { e.run(append([]string{"rm", "-f"}, names...)...) })

	runs := make([]result, n)
	parallel(n, func(i int) {
		runs[i] = e.run("run", "-d", "--name", names[i], "busybox:test", "sleep", "60")
	})
	var ids []string
	seen := map[string]bool{}
	for i, r := range runs {
		id := strings.TrimSpace(r.stdout)
		if r.code != 0 || len(id) != 64 {
			t.Errorf("run -d %s: code %d stdout %q stderr %q", names[i], r.code, r.stdout, r.stderr)
			continue
		}
		if seen[id] {
			t.Errorf("run -d %s: ID %s given twice", names[i], id)
		}
		seen[id] = true
		ids = append(ids, id)
	}
	ps := strings.Fields(e.must("ps", "-q"))
	var short []string
	for _, id := range ids {
		short = append(short, id[:12])
	}
	sort.Strings(ps)
	sort.Strings(short)
	if strings.Join(ps, " ") != strings.Join(short, " ") {
		t.Errorf("ps -q: %d IDs %v\nwant the %d run: %v", len(ps), ps, len(short), short)
	}

	rms := make([]result, n)
	parallel(n, func(i int) { rms[i] = e.run("rm", "-f", names[i]) })
	for i, r := range rms {
		if r.code != 0 {
			t.Errorf("rm -f %s: code %d stderr %q", names[i], r.code, r.stderr)
		}
	}
	checkNothingLeft(t, e, ids)
}

// TestRunSameNameParallel: of two runs racing for one name, one wins and
// the other says the name is taken, leaving nothing of its own.
func TestRunSameNameParallel(t *testing.T) {
	e, name := runEnv(t)
	t.Cleanup(func() { e.run("rm", "-f", name) })
	runs := make([]result, 2)
	parallel(2, func(i int) {
		runs[i] = e.run("run", "-d", "--name", name, "busybox:test", "sleep", "60")
	})
	win, lose := runs[0], runs[1]
	if win.code != 0 {
		win, lose = lose, win
	}
	if win.code != 0 || lose.code == 0 {
		t.Fatalf("want one success and one failure, got codes %d (%q) and %d (%q)", runs[0].code, runs[0].stderr, runs[1].code, runs[1].stderr)
	}
	if !strings.Contains(lose.stderr, `"`+name+`" is already in use`) {
		t.Errorf("loser's error: %q, want the name %q is already in use", lose.stderr, name)
	}
	id := strings.TrimSpace(win.stdout)
	if ps := strings.Fields(e.must("ps", "-a", "-q")); len(ps) != 1 || len(id) != 64 || ps[0] != id[:12] {
		t.Errorf("ps -a -q: %v, want only the winner %.12s", ps, id)
	}
	e.must("rm", "-f", name)
	checkNothingLeft(t, e, []string{id})
}

// monitorOf finds the one cais-monitor process of container id.
func monitorOf(t *testing.T, e *env, id string) int {
	t.Helper()
	ps := procs(t, "", "cais-monitor", id)
	if len(ps) != 1 {
		t.Fatalf("monitors of %s: %v, want one", id[:12], ps)
	}
	return ps[0]
}

// initOf is the container's init pid, as the runtime says.
func initOf(t *testing.T, e *env, id string) int {
	t.Helper()
	r := e.runRaw(fixture.Binary(t, "cais-runtime"), "--root", e.runtimeRoot(), "state", id)
	i := strings.Index(r.stdout, `"pid": `)
	if r.code != 0 || i < 0 {
		t.Fatalf("cais-runtime state %s: code %d %q %q", id[:12], r.code, r.stdout, r.stderr)
	}
	f := strings.FieldsFunc(r.stdout[i+len(`"pid": `):], func(c rune) bool { return c < '0' || c > '9' })
	pid, err := strconv.Atoi(f[0])
	if err != nil || pid <= 0 {
		t.Fatalf("init pid of %s from %q: %v", id[:12], r.stdout, err)
	}
	return pid
}

func kill(t *testing.T, pid int) {
	t.Helper()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill %d: %v", pid, err)
	}
	// Wait for it to be gone (or a zombie nobody of ours reaps): reading
	// its state is not a timed wait, the kernel finishes a SIGKILL.
	for {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return
		}
		if f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:])); len(f) > 0 && (f[0] == "Z" || f[0] == "X") {
			return
		}
		syscall.Nanosleep(&syscall.Timespec{Nsec: 1e6}, nil)
	}
}

// TestRunMonitorKilled: a container whose monitor died keeps running; the
// next cais commands report its real state from the runtime and remove it
// completely, and also once its init was killed too.
func TestRunMonitorKilled(t *testing.T) {
	for _, tc := range []struct {
		name       string
		killInit   bool
		wantStatus string
	}{
		{"container-running", false, "Up "},
		{"container-killed", true, "Exited ("},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, name := runEnv(t)
			t.Cleanup(func() { e.run("rm", "-f", name) })
			id := strings.TrimSpace(e.must("run", "-d", "--name", name, "busybox:test", "sleep", "60"))
			initPid := initOf(t, e, id)
			kill(t, monitorOf(t, e, id))
			if tc.killInit {
				kill(t, initPid)
			}
			ps := e.must("ps", "-a")
			if !strings.Contains(ps, name) || !strings.Contains(ps, tc.wantStatus) {
				t.Errorf("ps -a: want %s %q, got:\n%s", name, tc.wantStatus, ps)
			}
			running := strings.Contains(e.must("ps", "-q"), id[:12])
			if running == tc.killInit {
				t.Errorf("ps (running only) lists %s: %v, want %v", name, running, !tc.killInit)
			}
			e.must("rm", "-f", name)
			checkNothingLeft(t, e, []string{id})
		})
	}
}

// TestRunMonitorKilledStop: stop reaches a container whose monitor is gone.
func TestRunMonitorKilledStop(t *testing.T) {
	e, name := runEnv(t)
	t.Cleanup(func() { e.run("rm", "-f", name) })
	id := strings.TrimSpace(e.must("run", "-d", "--name", name, "busybox:test", "sleep", "60"))
	kill(t, monitorOf(t, e, id))
	e.must("stop", "-t", "1", name)
	if ps := e.must("ps", "-a"); !strings.Contains(ps, "Exited (") {
		t.Errorf("ps -a after stop: want Exited, got:\n%s", ps)
	}
	e.must("rm", name)
	checkNothingLeft(t, e, []string{id})
}

// zombie reports whether pid has exited and waits to be reaped.
func zombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	st := string(b)
	i := strings.LastIndexByte(st, ')')
	return i > 0 && len(st) > i+2 && (st[i+2] == 'Z' || st[i+2] == 'X')
}
