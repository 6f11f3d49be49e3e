package cli_test

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
)

var runtimes = []string{"cais-runtime", "runc"}

// TestPauseUnpause: a paused container's processes are frozen as the host
// sees them, ps and inspect say so, pausing twice or unpausing a running
// one fails as in Docker, and stop and rm -f of a paused container work.
func TestPauseUnpause(t *testing.T) {
	for _, rt := range runtimes {
		t.Run(rt, func(t *testing.T) {
			e, name := runEnv(t)
			t.Cleanup(func() { e.run("rm", "-f", name, name+"-2") })
			e.must(append([]string{"run", "-d", "--runtime", rt, "--name", name, "busybox:test"}, sleeper(name)...)...)
			pid := initPid(t, e, name)
			if out := e.must("pause", name); out != name+"\n" {
				t.Errorf("pause printed %q, want the name", out)
			}
			if !frozen(t, pid) {
				t.Errorf("after pause the freezer of pid %d is not frozen", pid)
			}
			if st := procState(t, pid); st != "D" && st != "T" {
				t.Errorf("after pause /proc/%d/status says %s, want D or T", pid, st)
			}
			if got := e.must("inspect", "--format", "{{.State.Status}} {{.State.Paused}} {{.State.Running}}", name); got != "paused true true\n" {
				t.Errorf("inspect of a paused container: %q", got)
			}
			if ps := e.must("ps"); !strings.Contains(ps, "(Paused)") || !strings.Contains(ps, name) {
				t.Errorf("ps without -a must list the paused container as Paused:\n%s", ps)
			}
			if got := e.must("ps", "--filter", "status=paused", "--format", "{{.Names}}"); got != name+"\n" {
				t.Errorf("ps --filter status=paused: %q", got)
			}
			// What reads a paused container still works; exec is refused
			// rather than left frozen.
			if got := e.must("stats", "--no-stream", "--format", "{{.PIDs}}", name); got != "2\n" {
				t.Errorf("stats of a paused container: PIDs %q, want 2", got)
			}
			if top := e.must("top", name); !strings.Contains(top, "sleep 300\n") {
				t.Errorf("top of a paused container:\n%s", top)
			}
			if r := e.run("exec", name, "true"); r.code != 1 {
				t.Errorf("exec into a paused container: code %d stderr %q, want 1", r.code, r.stderr)
			}
			if r := e.run("pause", name); r.code != 1 || !strings.Contains(r.stderr, "already paused") {
				t.Errorf("pause twice: code %d stderr %q, want 1 and \"already paused\"", r.code, r.stderr)
			}
			e.must("unpause", name)
			if frozen(t, pid) {
				t.Errorf("after unpause the freezer of pid %d is still frozen", pid)
			}
			if got := e.must("inspect", "--format", "{{.State.Status}} {{.State.Paused}}", name); got != "running false\n" {
				t.Errorf("inspect after unpause: %q", got)
			}
			if r := e.run("unpause", name); r.code != 1 || !strings.Contains(r.stderr, "not paused") {
				t.Errorf("unpause of a running container: code %d stderr %q", r.code, r.stderr)
			}
			if r := e.run("pause", "nosuch-"+name); r.code != 1 || !strings.Contains(r.stderr, "no such container") {
				t.Errorf("pause of an unknown container: code %d stderr %q", r.code, r.stderr)
			}
			// stop of a paused container stops it (Docker thaws it to let the
			// signals in).
			e.must("pause", name)
			e.must("stop", "-t", "1", name)
			if got := e.must("inspect", "--format", "{{.State.Status}} {{.State.Paused}}", name); got != "exited false\n" {
				t.Errorf("inspect after stopping a paused container: %q", got)
			}
			if r := e.run("pause", name); r.code != 1 || !strings.Contains(r.stderr, "not running") {
				t.Errorf("pause of an exited container: code %d stderr %q", r.code, r.stderr)
			}
			// rm -f of a paused one leaves nothing (the leak check says so).
			e.must(append([]string{"run", "-d", "--runtime", rt, "--name", name + "-2", "busybox:test"}, sleeper(name)...)...)
			e.must("pause", name+"-2")
			e.must("rm", "-f", name+"-2")
			if r := e.run("inspect", name+"-2"); r.code != 1 {
				t.Errorf("inspect after rm -f of a paused container: code %d", r.code)
			}
		})
	}
}

// TestKillPaused: kill of a paused container reaches it, as in Docker.
func TestKillPaused(t *testing.T) {
	e, name := runEnv(t)
	t.Cleanup(func() { e.run("rm", "-f", name) })
	e.must(append([]string{"run", "-d", "--name", name, "busybox:test"}, sleeper(name)...)...)
	e.must("pause", name)
	e.must("kill", name)
	if got := e.must("wait", name); got != "137\n" {
		t.Errorf("wait after kill of a paused container: %q, want 137", got)
	}
}

// TestUpdate: update changes the limits in the container's cgroup on the
// host and in inspect, they survive a restart, and bad values are refused
// without changing anything.
func TestUpdate(t *testing.T) {
	for _, rt := range runtimes {
		t.Run(rt, func(t *testing.T) {
			e, name := runEnv(t)
			t.Cleanup(func() { e.run("rm", "-f", name) })
			e.must(append([]string{"run", "-d", "--runtime", rt, "--name", name, "-m", "64m", "busybox:test"}, sleeper(name)...)...)
			check := func(when string, mem, pids, shares string) {
				t.Helper()
				pid := initPid(t, e, name)
				if got := readTrim(t, cgroupFile(t, pid, "memory", "memory.limit_in_bytes", "memory.max")); got != mem {
					t.Errorf("%s: memory limit in the cgroup is %s, want %s", when, got, mem)
				}
				if got := readTrim(t, cgroupFile(t, pid, "pids", "pids.max", "pids.max")); got != pids {
					t.Errorf("%s: pids.max is %s, want %s", when, got, pids)
				}
				if shares != "" {
					if got := readTrim(t, cgroupFile(t, pid, "cpu", "cpu.shares", "cpu.weight")); got != shares {
						t.Errorf("%s: cpu.shares is %s, want %s", when, got, shares)
					}
				}
			}
			if out := e.must("update", "-m", "32m", "--pids-limit", "20", "--cpu-shares", "512", "--restart", "on-failure:2", name); out != name+"\n" {
				t.Errorf("update printed %q, want the name", out)
			}
			check("after update", "33554432", "20", "512")
			if out := e.must("exec", name, "cat", "/sys/fs/cgroup/pids/pids.max"); out != "20\n" {
				t.Errorf("the container sees pids.max %q, want 20", out)
			}
			var hc struct {
				Memory, PidsLimit, CpuShares, MemorySwap int64
				RestartPolicy                            struct {
					Name              string
					MaximumRetryCount int
				}
			}
			if err := json.Unmarshal([]byte(e.must("inspect", "--format", "{{json .HostConfig}}", name)), &hc); err != nil {
				t.Fatal(err)
			}
			if hc.Memory != 32<<20 || hc.PidsLimit != 20 || hc.CpuShares != 512 || hc.RestartPolicy.Name != "on-failure" || hc.RestartPolicy.MaximumRetryCount != 2 {
				t.Errorf("inspect after update: %+v", hc)
			}
			bad := []struct {
				args []string
				code int
				want string
			}{
				{[]string{"-m", "lots"}, 125, "--memory"},
				{[]string{"-m", "1m"}, 1, "inimum memory limit"},
				{[]string{"-m", "512m"}, 1, "update the memoryswap at the same time"},
				{[]string{"--memory-swap", "16m"}, 1, "memoryswap limit should be larger than memory limit"},
				{[]string{"--blkio-weight", "5"}, 1, "blkio weight"},
				{[]string{"--cpus", "0.5", "--cpu-quota", "50000"}, 1, "onflicting options"},
				{[]string{"--cpuset-cpus", "0-999"}, 1, "not available"},
				{[]string{"--restart", "sometimes"}, 1, "restart policy"},
				{[]string{"--pids-limit", "x"}, 125, "--pids-limit"},
				{nil, 1, "one or more flags"},
			}
			for _, b := range bad {
				r := e.run(append(append([]string{"update"}, b.args...), name)...)
				if r.code != b.code || !strings.Contains(r.stderr, b.want) {
					t.Errorf("update %v: code %d stderr %q, want %d and %q", b.args, r.code, r.stderr, b.code, b.want)
				}
			}
			if r := e.run("update", "-m", "40m", "nosuch-"+name); r.code != 1 || !strings.Contains(r.stderr, "no such container") {
				t.Errorf("update of an unknown container: code %d stderr %q", r.code, r.stderr)
			}
			check("after refused updates", "33554432", "20", "512")
			// The limits are the container's now: a restart keeps them.
			e.must("restart", "-t", "0", name)
			check("after restart", "33554432", "20", "512")
		})
	}
}

// TestUpdatePaused: a paused container can be updated, as in Docker.
func TestUpdatePaused(t *testing.T) {
	e, name := runEnv(t)
	t.Cleanup(func() { e.run("rm", "-f", name) })
	e.must(append([]string{"run", "-d", "--runtime", "runc", "--name", name, "busybox:test"}, sleeper(name)...)...)
	e.must("pause", name)
	e.must("update", "--pids-limit", "7", name)
	pid := initPid(t, e, name)
	if got := readTrim(t, cgroupFile(t, pid, "pids", "pids.max", "pids.max")); got != "7" {
		t.Errorf("pids.max after updating a paused container: %s", got)
	}
	if got := e.must("inspect", "--format", "{{.State.Status}} {{.HostConfig.PidsLimit}}", name); got != "paused 7\n" {
		t.Errorf("inspect: %q", got)
	}
	// A block I/O weight is either enforced or discarded with Docker's
	// warning, never only claimed by inspect.
	r := e.run("update", "--blkio-weight", "300", name)
	weight := strings.TrimSpace(e.must("inspect", "--format", "{{.HostConfig.BlkioWeight}}", name))
	if r.code != 0 {
		t.Fatalf("update --blkio-weight: code %d stderr %q", r.code, r.stderr)
	}
	if strings.Contains(r.stderr, "WARNING: Your kernel does not support Block I/O weight") {
		if weight != "0" {
			t.Errorf("a discarded weight shows in inspect as %s", weight)
		}
		return
	}
	found := false
	for _, f := range [][2]string{{"blkio.weight", "io.weight"}, {"blkio.bfq.weight", "io.bfq.weight"}} {
		b, err := os.ReadFile(cgroupFile(t, pid, "blkio", f[0], f[1]))
		found = found || err == nil && strings.Contains(string(b), "300")
	}
	if weight != "300" || !found {
		t.Errorf("blkio weight without a warning: inspect %s, in the cgroup: %v", weight, found)
	}
}

// TestTop: top lists the container's processes in host ps rows.
func TestTop(t *testing.T) {
	e, name := runEnv(t)
	t.Cleanup(func() { e.run("rm", "-f", name) })
	e.must(append([]string{"run", "-d", "--name", name, "busybox:test"}, sleeper(name)...)...)
	pid := initPid(t, e, name)
	out := e.must("top", name)
	ls := lines(out)
	if f := strings.Fields(ls[0]); len(f) < 3 || f[0] != "UID" || f[1] != "PID" || f[len(f)-1] != "CMD" {
		t.Fatalf("top header: %q, want ps -ef's", ls[0])
	}
	var rows []string
	for _, l := range ls[1:] {
		if strings.Fields(l)[1] == strconv.Itoa(pid) {
			rows = append(rows, l)
		}
	}
	if len(rows) != 1 || !strings.HasSuffix(rows[0], "sh -c sleep 300; : "+name) {
		t.Errorf("top: want one row for init pid %d with its command line, got:\n%s", pid, out)
	}
	if !strings.Contains(out, "sleep 300\n") {
		t.Errorf("top: the sleep child is missing:\n%s", out)
	}
	if len(ls) != 3 {
		t.Errorf("top: want exactly the container's 2 processes, got:\n%s", out)
	}
	out = e.must("top", name, "-o", "pid,comm")
	if ls := lines(out); strings.Join(strings.Fields(ls[0]), " ") != "PID COMMAND" || len(ls) != 3 {
		t.Errorf("top -o pid,comm:\n%s", out)
	}
	if r := e.run("top", name, "--no-such-ps-option"); r.code != 1 || !strings.Contains(r.stderr, "error running ps") {
		t.Errorf("top with a bad ps option: code %d stderr %q", r.code, r.stderr)
	}
	if r := e.run("top", name, "-o", "comm"); r.code != 1 || !strings.Contains(r.stderr, "PID field") {
		t.Errorf("top without a PID column: code %d stderr %q", r.code, r.stderr)
	}
	e.must("kill", name)
	e.must("wait", name)
	if r := e.run("top", name); r.code != 1 || !strings.Contains(r.stderr, "is not running") {
		t.Errorf("top of an exited container: code %d stderr %q", r.code, r.stderr)
	}
	if r := e.run("top", "nosuch-"+name); r.code != 1 || !strings.Contains(r.stderr, "no such container") {
		t.Errorf("top of an unknown container: code %d stderr %q", r.code, r.stderr)
	}
}

// TestRename: the new name finds the container, the old one nothing and
// is free again; conflicts and bad names are refused.
func TestRename(t *testing.T) {
	e, name := runEnv(t)
	a, b, c := name+"-a", name+"-b", name+"-c"
	t.Cleanup(func() { e.run("rm", "-f", a, b, c) })
	id := strings.TrimSpace(e.must(append([]string{"run", "-d", "--name", a, "busybox:test"}, sleeper(name)...)...))
	e.must("create", "--name", c, "busybox:test", "true")
	if out := e.must("rename", a, b); out != "" {
		t.Errorf("rename printed %q, want nothing (as Docker)", out)
	}
	if got := e.must("inspect", "--format", "{{.Id}} {{.Name}}", b); got != id+" /"+b+"\n" {
		t.Errorf("inspect by the new name: %q", got)
	}
	if r := e.run("inspect", a); r.code != 1 {
		t.Errorf("inspect by the old name: code %d, want 1", r.code)
	}
	if got := e.must("ps", "--format", "{{.Names}}"); got != b+"\n" {
		t.Errorf("ps after rename: %q", got)
	}
	cases := []struct {
		from, to, want string
	}{
		{b, c, "already in use"},
		{b, b, "same name"},
		{b, "bad/name", "nvalid container name"},
		{b, ".x", "nvalid container name"},
		{"nosuch-" + name, "x" + name, "no such container"},
	}
	for _, k := range cases {
		if r := e.run("rename", k.from, k.to); r.code != 1 || !strings.Contains(r.stderr, k.want) {
			t.Errorf("rename %s %s: code %d stderr %q, want 1 and %q", k.from, k.to, r.code, r.stderr, k.want)
		}
	}
	if r := e.run("rename", b); r.code != 1 || !strings.Contains(r.stderr, "requires exactly 2 arguments") {
		t.Errorf("rename with one argument: code %d stderr %q", r.code, r.stderr)
	}
	// The old name is free: a new container takes it.
	e.must("create", "--name", a, "busybox:test", "true")
	e.must("rm", "-f", a, b, c)
	if left, err := os.ReadDir(e.root + "/container-names"); err != nil || len(left) != 0 {
		t.Errorf("name index after rm: %v %v, want empty", left, err)
	}
}

// TestUpdateNotRunning: a created container is updated in the runtime, an
// exited one in its bundle; either way its next start has the limits, and
// restart of a paused container runs it again.
func TestUpdateNotRunning(t *testing.T) {
	e, name := runEnv(t)
	t.Cleanup(func() { e.run("rm", "-f", name) })
	e.must(append([]string{"create", "--name", name, "busybox:test"}, sleeper(name)...)...)
	e.must("update", "--pids-limit", "9", name)
	e.must("start", name)
	pidsMax := func() string {
		return readTrim(t, cgroupFile(t, initPid(t, e, name), "pids", "pids.max", "pids.max"))
	}
	if got := pidsMax(); got != "9" {
		t.Errorf("pids.max after updating a created container and starting it: %s", got)
	}
	e.must("stop", "-t", "0", name)
	e.must("update", "--pids-limit", "11", name)
	if got := e.must("inspect", "--format", "{{.State.Status}} {{.HostConfig.PidsLimit}}", name); got != "exited 11\n" {
		t.Errorf("inspect after updating an exited container: %q", got)
	}
	e.must("start", name)
	if got := pidsMax(); got != "11" {
		t.Errorf("pids.max after updating an exited container and starting it: %s", got)
	}
	e.must("pause", name)
	e.must("restart", "-t", "0", name)
	if got := e.must("inspect", "--format", "{{.State.Status}}", name); got != "running\n" {
		t.Errorf("restart of a paused container: status %q", got)
	}
}
