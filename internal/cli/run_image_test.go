package cli_test

import (
	"strings"
	"testing"

	"github.com/cais-project/cais/internal/fixture"
)

// TestRunImageLookup: run and create resolve what the user typed to the
// right image among several, by reference (the record alone is read) or by
// ID prefix (the fallback through the whole store), and an unknown name
// fails with 125 naming it and leaves no container behind.
func TestRunImageLookup(t *testing.T) {
	e, name := runEnv(t)
	second := strings.TrimSpace(e.must("import", "-c", `CMD ["echo", "second image"]`, fixture.BusyboxRootfs(t), "second:1"))
	if !strings.HasPrefix(second, "sha256:") {
		t.Fatalf("import printed %q, want an image ID", second)
	}
	e.must("tag", "second:1", "second:alias")
	for _, ref := range []string{"second:1", "second:alias", second[len("sha256:"):][:12], second} {
		if r := e.run("run", "--rm", "--name", name, "--network", "none", ref); r.code != 0 || r.stdout != "second image\n" {
			t.Errorf("run %s: code %d stdout %q stderr %q, want the second image's CMD", ref, r.code, r.stdout, r.stderr)
		}
	}
	if r := e.run("run", "--rm", "--name", name, "--network", "none", "busybox:test", "echo", "first"); r.code != 0 || r.stdout != "first\n" {
		t.Errorf("run busybox:test: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	id := strings.TrimSpace(e.must("create", "--name", name, "--network", "none", "second:alias"))
	if got := strings.TrimSpace(e.must("inspect", "--format", "{{.Image}}", id)); got != second {
		t.Errorf("inspect .Image of a container from second:alias = %q, want %q", got, second)
	}
	e.must("rm", id)
	r := e.run("run", "--rm", "--pull", "never", "--name", name, "no-such-image:1")
	if r.code != 125 || !strings.Contains(r.stderr, "no-such-image") {
		t.Errorf("run of an unknown image: code %d stderr %q, want 125 naming it", r.code, r.stderr)
	}
	if out := e.must("ps", "-a", "-q"); out != "" {
		t.Errorf("ps -a after the runs: %q, want nothing", out)
	}
}
