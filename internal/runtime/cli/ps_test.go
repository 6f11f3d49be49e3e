package cli_test

import (
	"github.com/cais-project/cais/internal/testgate"

	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestPsListsContainerProcesses(t *testing.T) {
	r := newRT(t)
	r.must("run", "--detach", "--bundle", r.bundle("sleep 60 & exec sleep 61"), r.name)
	var pids []int
	waitFor(t, func() bool { pids = psPids(t, r); return len(pids) == 2 })
	init := state(t, r).Pid
	if !slices.Contains(pids, init) {
		t.Fatalf("ps json %v lacks the init pid %d", pids, init)
	}

	// The table comes from the host's ps (procps), as runc's does; the
	// cgroup2 VM has only busybox's.
	testgate.Binary(t, "/usr/bin/ps")
	// Table with ps options after the id: the header and exactly the
	// container's processes.
	out := r.must("ps", r.name, "-o", "pid,args")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || strings.Fields(lines[0])[0] != "PID" {
		t.Fatalf("ps -o pid,args:\n%s", out)
	}
	for _, line := range lines[1:] {
		f := strings.Fields(line)
		pid, _ := strconv.Atoi(f[0])
		if !slices.Contains(pids, pid) || f[1] != "sleep" {
			t.Errorf("unexpected line %q (container pids %v)", line, pids)
		}
	}
	// The default is ps -ef.
	if out := r.must("ps", r.name); !strings.Contains(out, "UID") || !strings.Contains(out, "sleep 61") {
		t.Fatalf("ps table:\n%s", out)
	}
	if res := r.run("ps", "--format", "xml", r.name); res.code != 1 {
		t.Fatalf("ps --format xml: exit %d", res.code)
	}
	r.must("kill", r.name, "KILL")
}

// A container with no processes left prints null, as runc does (its
// callers decode either into a nil slice, but the bytes should match).
func TestPsJSONOfStoppedContainerIsNull(t *testing.T) {
	r := newRT(t)
	r.must("run", "--detach", "--bundle", r.bundle("exit 0"), r.name)
	waitFor(t, func() bool { return state(t, r).Status == "stopped" })
	if out := strings.TrimSpace(r.must("ps", "--format", "json", r.name)); out != "null" {
		t.Fatalf("ps --format json of a stopped container: %q, want null", out)
	}
}
