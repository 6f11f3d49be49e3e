package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cais-project/cais/internal/fixture"
)

// imageID is the full ID of ref as `images --no-trunc -q` prints it.
func imageID(t *testing.T, e *env, ref string) string {
	t.Helper()
	id := strings.TrimSpace(e.must("images", "--no-trunc", "-q", ref))
	if id == "" {
		t.Fatalf("no image %s", ref)
	}
	return id
}

// TestRmiInUse: an image a container uses, even a stopped one, cannot be
// removed without -f; the container keeps running from it; with -f the
// name goes but the image stays (dangling) until the container is removed.
func TestRmiInUse(t *testing.T) {
	e, name := runEnv(t)
	t.Cleanup(func() { e.run("rm", "-f", name) })
	id := imageID(t, e, "busybox:test")
	e.must("tag", "busybox:test", "busybox:other")
	cid := strings.TrimSpace(e.must("run", "-d", "--name", name, "busybox:other", "sleep", "60"))

	// A name the image has others besides may go: only the last is kept.
	e.must("rmi", "busybox:test")
	r := e.run("rmi", "busybox:other")
	want := `conflict: unable to remove repository reference "busybox:other" (must force) - container ` + cid[:12] +
		` is using its referenced image ` + strings.TrimPrefix(id, "sha256:")[:12]
	if r.code != 1 || !strings.Contains(r.stderr, want) {
		t.Errorf("rmi of an in-use image: code %d stderr %q, want 1 and %q", r.code, r.stderr, want)
	}
	if got := e.must("run", "--rm", "busybox:other", "echo", "still"); got != "still\n" {
		t.Errorf("running the refused image: %q", got)
	}
	e.must("stop", "-t", "0", name)
	if r := e.run("rmi", "busybox:other"); r.code != 1 {
		t.Errorf("rmi of an image a stopped container uses: code %d, want 1", r.code)
	}
	if r := e.run("image", "prune", "-a", "-f"); r.code != 0 || strings.Contains(r.stdout, id) {
		t.Errorf("image prune -a removed an image in use: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	out := e.must("rmi", "-f", "busybox:other")
	if out != "Untagged: busybox:other\n" {
		t.Errorf("rmi -f: %q, want only the untag", out)
	}
	if got := strings.TrimSpace(e.must("images", "--no-trunc", "-q")); got != id {
		t.Errorf("after rmi -f the image should stay dangling: images -q %q, want %s", got, id)
	}
	e.must("rm", name)
	if r := e.run("rmi", id); r.code != 0 || !strings.Contains(r.stdout, "Deleted: "+id) {
		t.Errorf("rmi after rm: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	// Leave the image runEnv's leak check counts snapshots for.
	e.must("import", "-c", `CMD ["/bin/sh"]`, fixture.BusyboxRootfs(t), "busybox:test")
}

// TestContainerPrune: only stopped containers go.
func TestContainerPrune(t *testing.T) {
	e, name := runEnv(t)
	running, stopped := name+"-up", name+"-down"
	t.Cleanup(func() { e.run("rm", "-f", running, stopped) })
	e.must("run", "-d", "--name", running, "busybox:test", "sleep", "60")
	sid := strings.TrimSpace(e.must("run", "-d", "--name", stopped, "busybox:test", "true"))
	e.must("stop", stopped) // waits until it is exited
	out := e.must("container", "prune", "-f")
	if !strings.HasPrefix(out, "Deleted Containers:\n"+sid+"\n\n") || !strings.Contains(out, "Total reclaimed space: ") {
		t.Errorf("container prune: got\n%s", out)
	}
	if got := strings.Fields(e.must("ps", "-a", "--format", "{{.Names}}")); len(got) != 1 || got[0] != running {
		t.Errorf("after prune ps -a: %q, want only %s", got, running)
	}
	// Without -f it asks, and no means nothing goes.
	e.must("stop", "-t", "0", running)
	if out := e.must("container", "prune"); !strings.Contains(out, "Are you sure") || strings.Contains(out, "Deleted") {
		t.Errorf("prune without -f and no answer: %q", out)
	}
	if got := e.must("ps", "-a", "-q"); got == "" {
		t.Errorf("prune without a yes removed the container")
	}
}

// TestSystemPrune: stopped containers, then with -a every image no
// container uses; an image a running container uses stays.
func TestSystemPrune(t *testing.T) {
	e, name := runEnv(t)
	t.Cleanup(func() { e.run("rm", "-f", name, name+"-down") })
	id := imageID(t, e, "busybox:test")
	e.must("import", "-c", `CMD ["/bin/true"]`, fixture.BusyboxRootfs(t), "unused:1")
	unused := imageID(t, e, "unused:1")
	e.must("run", "-d", "--name", name, "busybox:test", "sleep", "60")
	sid := strings.TrimSpace(e.must("run", "-d", "--name", name+"-down", "unused:1"))
	e.must("stop", name+"-down")

	out := e.must("system", "prune", "-f")
	if !strings.Contains(out, "Deleted Containers:\n"+sid+"\n") || strings.Contains(out, "Deleted Images") {
		t.Errorf("system prune (no dangling images): got\n%s", out)
	}
	out = e.must("system", "prune", "-a", "-f")
	if !strings.Contains(out, "deleted: "+unused) || strings.Contains(out, "deleted: "+id) {
		t.Errorf("system prune -a: want %s deleted and %s kept, got\n%s", unused, id, out)
	}
	if got := strings.Fields(e.must("images", "--no-trunc", "-q")); len(got) != 1 || got[0] != id {
		t.Errorf("images after system prune -a: %q, want only %s", got, id)
	}
}

// TestRunRestartOnFailure: on-failure:2 runs the command three times (one
// run, two restarts) and then leaves the container exited.
func TestRunRestartOnFailure(t *testing.T) {
	e, name := runEnv(t)
	t.Cleanup(func() { e.run("rm", "-f", name) })
	host := t.TempDir()
	count := filepath.Join(host, "count")
	e.must("run", "-d", "--name", name, "--restart", "on-failure:2", "-v", host+":/data",
		"busybox:test", "sh", "-c", "echo x >> /data/count; exit 1")
	// wait blocks until the monitor is done with the container: after its
	// last restart, never in between.
	var ps string
	for range 600 {
		ps = e.must("ps", "-a", "--format", "{{.Status}}")
		if strings.HasPrefix(ps, "Exited (1)") {
			break
		}
		if !strings.HasPrefix(ps, "Up") && !strings.HasPrefix(ps, "Restarting (1)") && !strings.HasPrefix(ps, "Created") && !strings.HasPrefix(ps, "Exited (1)") {
			t.Fatalf("ps while restarting: %q", ps)
		}
	}
	if !strings.HasPrefix(ps, "Exited (1)") {
		t.Fatalf("ps -a never showed Exited (1): %q", ps)
	}
	b, err := os.ReadFile(count)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(b), "x\n"); got != 3 {
		t.Errorf("runs: %d lines in the host file, want 3 (1 + 2 restarts)", got)
	}
}

// TestRunRestartAlwaysStop: an always container is restarted after it
// exits, and a user's stop ends it for good.
func TestRunRestartAlwaysStop(t *testing.T) {
	e, name := runEnv(t)
	t.Cleanup(func() { e.run("rm", "-f", name) })
	host := t.TempDir()
	count := filepath.Join(host, "count")
	e.must("run", "-d", "--name", name, "--restart", "always", "-v", host+":/data",
		"busybox:test", "sh", "-c", "echo x >> /data/count; [ $(wc -l < /data/count) -ge 2 ] && exec sleep 60; exit 0")
	for range 600 { // a clean exit is restarted too
		if b, _ := os.ReadFile(count); strings.Count(string(b), "x\n") >= 2 {
			break
		}
		e.must("ps")
	}
	if ps := e.must("ps", "--format", "{{.Status}}"); !strings.HasPrefix(ps, "Up") {
		t.Errorf("ps after a restart: %q, want Up", ps)
	}
	e.must("stop", "-t", "1", name)
	if ps := e.must("ps", "-a", "--format", "{{.Status}}"); !strings.HasPrefix(ps, "Exited") {
		t.Errorf("ps -a after stop: %q, want Exited (not restarted)", ps)
	}
	if got := strings.Count(readFile(t, count), "x\n"); got != 2 {
		t.Errorf("runs: %d, want 2 (the stop must not restart it)", got)
	}
}

func TestRunRestartWithRm(t *testing.T) {
	e, name := runEnv(t)
	r := e.run("run", "--rm", "--restart", "always", "--name", name, "busybox:test", "true")
	if r.code != 125 || !strings.Contains(r.stderr, "Conflicting options: --restart and --rm") {
		t.Errorf("--rm --restart: code %d stderr %q, want 125 and the conflict", r.code, r.stderr)
	}
	if r := e.run("run", "--restart", "sometimes", "--name", name, "busybox:test", "true"); r.code != 125 {
		t.Errorf("--restart sometimes: code %d, want 125 (stderr %q)", r.code, r.stderr)
	}
	if got := e.must("ps", "-a", "-q"); got != "" {
		t.Errorf("a refused run left a container: %q", got)
	}
}
