package cli_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// sleeper is a long-running command whose command line carries name, so
// the leak check finds its processes if any survive the test.
func sleeper(name string) []string {
	return []string{"sh", "-c", "sleep 300; : " + name}
}

// initPid is the host pid of the container's init, from inspect.
func initPid(t *testing.T, e *env, ctr string) int {
	t.Helper()
	s := strings.TrimSpace(e.must("inspect", "--format", "{{.State.Pid}}", ctr))
	pid, err := strconv.Atoi(s)
	if err != nil || pid <= 0 {
		t.Fatalf("inspect pid of %s: %q", ctr, s)
	}
	return pid
}

// cgroupFile is the path of file in the cgroup of pid for a v1
// controller, or in its unified cgroup when the host has no such v1
// hierarchy (then v2name is the file).
func cgroupFile(t *testing.T, pid int, controller, v1name, v2name string) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	unified := ""
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(l, ":", 3)
		if len(parts) != 3 {
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			if c == controller {
				return filepath.Join("/sys/fs/cgroup", controller, parts[2], v1name)
			}
		}
		if parts[0] == "0" && parts[1] == "" {
			unified = parts[2]
		}
	}
	return filepath.Join("/sys/fs/cgroup", unified, v2name)
}

func readTrim(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// procState is the state letter of pid in /proc/PID/status ("S", "D", ...).
func procState(t *testing.T, pid int) string {
	t.Helper()
	for _, l := range strings.Split(readTrim(t, "/proc/"+strconv.Itoa(pid)+"/status"), "\n") {
		if v, ok := strings.CutPrefix(l, "State:"); ok {
			return strings.Fields(v)[0]
		}
	}
	t.Fatalf("no State in /proc/%d/status", pid)
	return ""
}

// frozen reports whether the freezer says pid's cgroup is frozen.
func frozen(t *testing.T, pid int) bool {
	t.Helper()
	p := cgroupFile(t, pid, "freezer", "freezer.state", "cgroup.freeze")
	v := readTrim(t, p)
	return v == "FROZEN" || v == "1"
}
