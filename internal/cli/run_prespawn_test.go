package cli_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// processesWith lists the processes (but this one) whose command line
// contains s.
func processesWith(t *testing.T, s string) []string {
	t.Helper()
	es, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, de := range es {
		pid, err := strconv.Atoi(de.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", de.Name(), "cmdline"))
		if err != nil {
			continue
		}
		if cl := strings.ReplaceAll(string(b), "\x00", " "); strings.Contains(cl, s) {
			out = append(out, de.Name()+": "+cl)
		}
	}
	return out
}

// TestRunFailedCreateStopsPrespawnedMonitor: the engine starts the
// container's monitor before its create work; a create that fails after
// that (no such image, a name in use, a user the image lacks: the last
// after the rootfs was mounted and the bundle begun) exits 125 naming the
// problem, and by the time the command returns the monitor is gone and
// nothing of the container is left: no monitor directory or socket, no
// record, bundle, mount or snapshot (runEnv).
func TestRunFailedCreateStopsPrespawnedMonitor(t *testing.T) {
	e, name := runEnv(t)
	e.must("create", "--name", name, "busybox:test", "true")
	monitorsBefore := len(processesWith(t, filepath.Join(e.runRoot, "m")))
	before := e.leftovers()
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"run", "--rm", "--pull", "never", "--network", "none", "no-such-image:latest", "true"}, "no such image"},
		{[]string{"run", "--rm", "--name", name, "--network", "none", "busybox:test", "true"}, "is already in use"},
		{[]string{"run", "--rm", "--user", "no-such-user", "--network", "none", "busybox:test", "true"}, "no-such-user"},
		{[]string{"create", "--user", "no-such-user", "busybox:test", "true"}, "no-such-user"},
	} {
		r := e.run(tc.args...)
		if r.code != 125 || !strings.Contains(r.stderr, tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want 125 naming %q", tc.args, r.code, r.stderr, tc.msg)
		}
		if got := processesWith(t, filepath.Join(e.runRoot, "m")); len(got) != monitorsBefore {
			t.Errorf("%v: monitors of this root after the failure:\n%s\nwant only the created container's (%d)", tc.args, strings.Join(got, "\n"), monitorsBefore)
		}
		if left := e.leftovers(); strings.Join(left, " ") != strings.Join(before, " ") {
			t.Errorf("%v: left %v, want only the created container's %v", tc.args, left, before)
		}
	}
	e.must("rm", name)
	if left := e.leftovers(); len(left) != 0 {
		t.Errorf("after rm: %v", left)
	}
}
