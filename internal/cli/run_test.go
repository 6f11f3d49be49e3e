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

func TestRunDetachedLifecycle(t *testing.T) {
	e, name := runEnv(t)
	t.Cleanup(func() { e.run("rm", "-f", name) })
	e.must("run", "-d", "--name", name, "busybox:test", "sh", "-c", "echo started; exec sleep 60")
	if ps := e.must("ps"); !strings.Contains(ps, name) || !strings.Contains(ps, "Up ") {
		t.Errorf("ps: want %s Up, got:\n%s", name, ps)
	}
	var logs string
	for range 50 { // the container writes when it gets there
		if logs = e.must("logs", name); logs != "" {
			break
		}
		e.must("ps") // a cheap pause that does not time anything
	}
	if logs != "started\n" {
		t.Errorf("logs: got %q, want %q", logs, "started\n")
	}
	e.must("stop", "-t", "1", name)
	if ps := e.must("ps", "-a"); !strings.Contains(ps, "Exited (") {
		t.Errorf("ps -a after stop: want Exited, got:\n%s", ps)
	}
	e.must("rm", name)
	if ps := e.must("ps", "-a", "-q"); ps != "" {
		t.Errorf("ps -a after rm: %q, want nothing", ps)
	}
}

func TestRunVolumeAndNetwork(t *testing.T) {
	e, name := runEnv(t)
	host := t.TempDir()
	if err := os.WriteFile(filepath.Join(host, "f"), []byte("from host"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := e.run("run", "--rm", "--name", name, "-v", host+":/data:ro", "busybox:test", "cat", "/data/f"); r.stdout != "from host" {
		t.Errorf("-v: got %q (code %d, %s), want %q", r.stdout, r.code, r.stderr, "from host")
	}
	if r := e.run("run", "--rm", "--name", name, "--network", "none", "busybox:test", "ls", "/sys/class/net"); r.stdout != "lo\n" {
		t.Errorf("--network none: got %q (code %d, %s), want only lo", r.stdout, r.code, r.stderr)
	}
	// Other tests add and remove links on the host meanwhile: the
	// container must see every link that existed before and after its
	// run, and nothing that existed at neither time.
	ifs := func() map[string]bool {
		ents, err := os.ReadDir("/sys/class/net")
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]bool{}
		for _, e := range ents {
			m[e.Name()] = true
		}
		return m
	}
	before := ifs()
	r := e.run("run", "--rm", "--name", name, "--network", "host", "busybox:test", "ls", "/sys/class/net")
	after := ifs()
	seen := map[string]bool{}
	for _, n := range strings.Fields(r.stdout) {
		seen[n] = true
		if !before[n] && !after[n] {
			t.Errorf("--network host: the container sees %q, which the host does not have (%q)", n, r.stdout)
		}
	}
	for n := range before {
		if after[n] && !seen[n] {
			t.Errorf("--network host: got %q (code %d, %s), missing the host's %q", r.stdout, r.code, r.stderr, n)
		}
	}
}

// TestRunLimitsAndHostname: -m, --pids-limit and -h reach the container,
// as its process sees them.
func TestRunLimitsAndHostname(t *testing.T) {
	e, name := runEnv(t)
	script := `hostname; cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max 2>/dev/null; true`
	out := e.must("run", "--rm", "--name", name, "-h", "box-"+name[len(name)-4:], "-m", "48m", "--pids-limit", "33",
		"busybox:test", "sh", "-c", script)
	want := "box-" + name[len(name)-4:] + "\n50331648\n33\n"
	if out != want {
		t.Fatalf("container saw %q, want %q", out, want)
	}
	if r := e.run("run", "--rm", "-m", "lots", "busybox:test", "true"); r.code != 125 || !strings.Contains(r.stderr, "--memory") {
		t.Fatalf("-m lots: exit %d, %q", r.code, r.stderr)
	}
}
