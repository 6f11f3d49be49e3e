package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cais-project/cais/internal/fixture"
)

// runEnv is an env with busybox:test imported and the monitor and runtime
// findable; it checks at the end that no container is left: no leaks named
// after the test, no mount under the runroot, no snapshot beyond the
// image's.
func runEnv(t *testing.T) (*env, string) {
	t.Helper()
	name := fixture.Name(t)
	fixture.CheckLeaks(t, name)
	e := newEnv(t)
	dirs := map[string]bool{}
	for _, b := range []string{"cais-monitor", "cais-runtime"} {
		dirs[filepath.Dir(fixture.Binary(t, b))] = true
	}
	path := os.Getenv("PATH")
	for d := range dirs {
		path = d + ":" + path
	}
	t.Setenv("PATH", path)
	e.must("import", "-c", `CMD ["/bin/sh"]`, fixture.BusyboxRootfs(t), "busybox:test")
	snaps := filepath.Join(e.root, "snapshots", "snapshots")
	want := entries(t, snaps)
	t.Cleanup(func() {
		if b, err := os.ReadFile("/proc/self/mountinfo"); err == nil && strings.Contains(string(b), e.runRoot) {
			t.Errorf("a mount under the runroot remains:\n%s", b)
		}
		if got := entries(t, snaps); got != want {
			t.Errorf("snapshot dirs: got %d, want the image's %d", got, want)
		}
	})
	return e, name
}

func TestRunForeground(t *testing.T) {
	for _, rt := range []string{"cais-runtime", "runc"} {
		t.Run(rt, func(t *testing.T) {
			e, name := runEnv(t)
			r := e.run("run", "--rm", "--name", name, "--runtime", rt, "busybox:test", "echo", "hi")
			if r.code != 0 || r.stdout != "hi\n" {
				t.Fatalf("run echo hi: code %d stdout %q stderr %q, want 0 and \"hi\\n\"", r.code, r.stdout, r.stderr)
			}
			if r := e.run("run", "--rm", "--name", name, "--runtime", rt, "busybox:test", "sh", "-c", "exit 3"); r.code != 3 {
				t.Errorf("exit 3: got code %d (stderr %q)", r.code, r.stderr)
			}
			if r := e.run("run", "--rm", "--name", name, "--runtime", rt, "busybox:test", "/no/such/cmd"); r.code != 127 {
				t.Errorf("missing command: got code %d, want 127 (stderr %q)", r.code, r.stderr)
			}
			if out := e.must("ps", "-a", "-q"); out != "" {
				t.Errorf("ps -a after --rm runs: %q, want nothing", out)
			}
		})
	}
}
