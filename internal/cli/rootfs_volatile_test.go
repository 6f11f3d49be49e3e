package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// rootfsMountLine is the mountinfo line of container id's rootfs, or
// "" when it is not mounted.
func (e *env) rootfsMountLine(id string) string {
	e.t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		e.t.Fatal(err)
	}
	target := filepath.Join(e.runRoot, "containers", id, "rootfs")
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) > 4 && f[4] == target {
			return l
		}
	}
	return ""
}

// TestRunRmRootfsVolatile: a --rm container's writable layer is mounted
// with overlayfs' volatile option (its removal then skips syncing the
// upper filesystem); one kept after its exit is not.
func TestRunRmRootfsVolatile(t *testing.T) {
	e, name := runEnv(t)
	rm := strings.TrimSpace(e.must("run", "--rm", "-d", "--name", name, "--network", "none", "busybox:test", "sleep", "60"))
	kept := strings.TrimSpace(e.must("create", "--name", name+"-kept", "--network", "none", "busybox:test", "true"))
	t.Cleanup(func() { e.run("rm", "-f", name, name+"-kept") })
	if l := e.rootfsMountLine(rm); !strings.Contains(l, " overlay ") || !strings.Contains(l, "volatile") {
		t.Errorf("--rm container's rootfs: %q, want an overlay with volatile", l)
	}
	if l := e.rootfsMountLine(kept); !strings.Contains(l, " overlay ") || strings.Contains(l, "volatile") {
		t.Errorf("kept container's rootfs: %q, want an overlay without volatile", l)
	}
	if r := e.run("exec", name, "sh", "-c", "echo data > /f && sync && cat /f"); r.code != 0 || r.stdout != "data\n" {
		t.Errorf("write, sync, read in the volatile rootfs: %d %q %q", r.code, r.stdout, r.stderr)
	}
	e.must("rm", "-f", name, name+"-kept")
	e.awaitNoLeftovers("after rm -f")
}
