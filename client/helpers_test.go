package client_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cais-project/cais/client"
	"github.com/cais-project/cais/internal/fixture"
	"github.com/cais-project/cais/internal/testgate"
)

// state is one cais root and run root for a test, with the helper binaries
// in PATH and a busybox image pushed to a private registry. Its cleanup
// fails the test if a container record, a name, a mount under the run
// root or a snapshot beyond the image's is left, after CheckLeaks (which
// looks for processes, cgroups and paths named after the test) was
// registered first.
type state struct {
	name, root, runRoot, ref string
	cais                     string // the cais binary, for checks from outside
	ids                      []string
}

// track records the internal ID of container name (from `cais inspect`),
// whose processes and cgroups checkEmpty then looks for.
func (s *state) track(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command(s.cais, "--root", s.root, "--runroot", s.runRoot, "inspect", "--format", "{{.Id}}", name).CombinedOutput()
	id := strings.TrimSpace(string(out))
	if err != nil || len(id) != 64 {
		t.Fatalf("cais inspect %s: %v: %q", name, err, out)
	}
	s.ids = append(s.ids, id)
	return id
}

func newState(t *testing.T) *state {
	t.Helper()
	testgate.Root(t)
	testgate.Overlay(t)
	name := fixture.Name(t)
	dir := t.TempDir()
	s := &state{name: name, root: filepath.Join(dir, "root"), runRoot: filepath.Join(dir, "run")}
	fixture.CheckLeaks(t, name, s.root, s.runRoot)
	s.cais = fixture.Binary(t, "cais")
	path := os.Getenv("PATH")
	for _, b := range []string{"cais-monitor", "cais-runtime"} {
		path = filepath.Dir(fixture.Binary(t, b)) + ":" + path
	}
	t.Setenv("PATH", path)

	// The image is made and pushed from a scratch store, so the client's
	// own store starts empty and Pull has work to do. Its entrypoint fails:
	// WithProcessArgs must replace it, as containerd's does.
	reg := fixture.Registry(t)
	s.ref = reg + "/client/busybox:" + name
	scratch := []string{"--root", filepath.Join(dir, "push-root"), "--runroot", filepath.Join(dir, "push-run")}
	for _, args := range [][]string{
		{"import", "-c", `ENTRYPOINT ["/bin/false"]`, "-c", `CMD ["/bin/sh"]`, fixture.BusyboxRootfs(t), s.ref},
		{"push", s.ref},
	} {
		if out, err := exec.Command(s.cais, append(scratch, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("cais %v: %v\n%s", args, err, out)
		}
	}
	t.Cleanup(func() { s.checkEmpty(t) })
	return s
}

// checkEmpty fails t if a container is left in the state.
func (s *state) checkEmpty(t *testing.T) {
	t.Helper()
	for _, d := range []string{"containers", "container-names"} {
		if es, err := os.ReadDir(filepath.Join(s.root, d)); err == nil && len(es) > 0 {
			t.Errorf("%s/%s is not empty: %d entries left", s.root, d, len(es))
		}
	}
	if es, err := os.ReadDir(filepath.Join(s.runRoot, "containers")); err == nil && len(es) > 0 {
		t.Errorf("%s/containers is not empty: %d entries left", s.runRoot, len(es))
	}
	if b, err := os.ReadFile("/proc/self/mountinfo"); err == nil && strings.Contains(string(b), s.runRoot) {
		t.Errorf("a mount under the run root remains:\n%s", b)
	}
	if out, err := exec.Command(s.cais, "--root", s.root, "--runroot", s.runRoot, "ps", "-a", "-q").CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("cais ps -a -q: %v, %q; want no containers", err, out)
	}
	for _, id := range s.ids {
		var left []string
		for range 20 { // the kernel releases cgroups and reaps asynchronously
			left = fixture.Leaks(id, s.runRoot, s.root)
			if len(left) == 0 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if len(left) > 0 {
			t.Errorf("container %s left: %s", id, strings.Join(left, "; "))
		}
	}
	// The image's layer is the only snapshot a removed container leaves.
	if es, err := os.ReadDir(filepath.Join(s.root, "snapshots", "snapshots")); err == nil && len(es) > 1 {
		t.Errorf("%d snapshots left, want only the image's one layer", len(es))
	}
}

func (s *state) client(t *testing.T) *client.Client {
	t.Helper()
	c, err := client.New(context.Background(), client.WithRoot(s.root), client.WithRunRoot(s.runRoot))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// tempFile is a file for a task's output (never a pipe the test waits on).
func tempFile(t *testing.T) *os.File {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "stdio-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func readFile(t *testing.T, f *os.File) string {
	t.Helper()
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// waitExit waits for a task's exit status, failing t after a minute.
func waitExit(t *testing.T, exitC <-chan client.ExitStatus) client.ExitStatus {
	t.Helper()
	select {
	case st := <-exitC:
		return st
	case <-time.After(time.Minute):
		t.Fatal("no exit status after a minute")
	}
	return client.ExitStatus{}
}
