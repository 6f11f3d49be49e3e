package cli_test

import (
	"strings"
	"testing"
	"time"
)

// TestRmWithoutForce: as Docker's, rm removes a created (never started)
// or an exited container without -f; a running or paused one is refused
// with Docker's message, exit 1, and keeps running. Both runtimes.
func TestRmWithoutForce(t *testing.T) {
	for _, rt := range runtimes {
		t.Run(rt, func(t *testing.T) {
			e, name := runEnv(t)
			created, exited, running := name+"-c", name+"-x", name+"-r"
			t.Cleanup(func() { e.run("rm", "-f", created, exited, running) })
			e.must(append([]string{"create", "--runtime", rt, "--name", created, "busybox:test"}, sleeper(name)...)...)
			if out := e.must("rm", created); out != created+"\n" {
				t.Errorf("rm of a created container printed %q, want its name", out)
			}
			e.must("run", "--runtime", rt, "--name", exited, "busybox:test", "true")
			if out := e.must("rm", exited); out != exited+"\n" {
				t.Errorf("rm of an exited container printed %q, want its name", out)
			}
			if out := e.must("ps", "-a", "--format", "{{.Names}}"); out != "" {
				t.Errorf("ps -a after rm of the created and exited containers: %q, want nothing", out)
			}

			e.must(append([]string{"run", "-d", "--runtime", rt, "--name", running, "busybox:test"}, sleeper(name)...)...)
			r := e.run("rm", running)
			want := `cannot remove container "/` + running + `": container is running: stop the container before removing or force remove`
			if r.code != 1 || !strings.Contains(r.stderr, want) {
				t.Errorf("rm of a running container: code %d stderr %q, want 1 and %q", r.code, r.stderr, want)
			}
			if got := e.must("inspect", "--format", "{{.State.Status}}", running); got != "running\n" {
				t.Errorf("after a refused rm the container is %q, want running", got)
			}
			e.must("pause", running)
			r = e.run("rm", running)
			want = `cannot remove container "/` + running + `": container is paused and must be unpaused first`
			if r.code != 1 || !strings.Contains(r.stderr, want) {
				t.Errorf("rm of a paused container: code %d stderr %q, want 1 and %q", r.code, r.stderr, want)
			}
			if got := e.must("inspect", "--format", "{{.State.Status}}", running); got != "paused\n" {
				t.Errorf("after a refused rm the container is %q, want paused", got)
			}
			e.must("rm", "-f", running)
			if out := e.must("ps", "-a", "-q"); out != "" {
				t.Errorf("ps -a after rm -f: %q, want nothing", out)
			}
		})
	}
}

// TestRestartUsesStopTimeout: restart without -t waits the container's
// --stop-timeout (not 10s) before SIGKILL, as stop does; -t still wins.
// The container's init (sleep) ignores SIGTERM, so only the kill ends it.
func TestRestartUsesStopTimeout(t *testing.T) {
	e, name := runEnv(t)
	t.Cleanup(func() { e.run("rm", "-f", name) })
	e.must("run", "-d", "--stop-timeout", "2", "--name", name, "busybox:test", "sleep", "300")
	before := e.must("inspect", "--format", "{{.State.StartedAt}}", name)
	start := time.Now()
	e.must("restart", name)
	if d := time.Since(start); d < 1500*time.Millisecond || d > 8*time.Second {
		t.Errorf("restart without -t took %v, want about the container's 2s stop timeout", d)
	}
	after := e.must("inspect", "--format", "{{.State.Status}} {{.State.StartedAt}}", name)
	if after == "running "+before || !strings.HasPrefix(after, "running ") {
		t.Errorf("after restart: %q (started before: %q), want running and started anew", after, before)
	}
	start = time.Now()
	e.must("restart", "-t", "0", name)
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("restart -t 0 took %v, want no wait", d)
	}
	if got := e.must("inspect", "--format", "{{.State.Status}}", name); got != "running\n" {
		t.Errorf("after restart -t 0: %q, want running", got)
	}
}

// TestExecPaused: exec into a paused container is refused with Docker's
// message and exit 1, and the command does not run. Both runtimes.
func TestExecPaused(t *testing.T) {
	for _, rt := range runtimes {
		t.Run(rt, func(t *testing.T) {
			e, name := runEnv(t)
			t.Cleanup(func() { e.run("rm", "-f", name) })
			e.must(append([]string{"run", "-d", "--runtime", rt, "--name", name, "busybox:test"}, sleeper(name)...)...)
			id := strings.TrimSpace(e.must("inspect", "--format", "{{.Id}}", name))
			e.must("pause", name)
			r := e.run("exec", name, "touch", "/ran")
			want := "Container " + id + " is paused, unpause the container before exec"
			if r.code != 1 || !strings.Contains(r.stderr, want) {
				t.Errorf("exec into a paused container: code %d stderr %q, want 1 and %q", r.code, r.stderr, want)
			}
			e.must("unpause", name)
			if r := e.run("exec", name, "test", "-e", "/ran"); r.code != 1 {
				t.Errorf("the refused exec ran: test -e /ran exited %d (stderr %q)", r.code, r.stderr)
			}
		})
	}
}
