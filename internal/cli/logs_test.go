package cli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestLogsOptions: --tail, -t, --since and --until select and decorate
// the entries of a finished container's log, across both streams.
func TestLogsOptions(t *testing.T) {
	e, name := runEnv(t)
	t.Cleanup(func() { e.run("rm", "-f", name) })
	// stdout and stderr are separate pipes: the entries are spaced in
	// time so that their order in the log is known.
	e.must("run", "--name", name, "busybox:test", "sh", "-c",
		"for i in 1 2 3 4; do echo l$i; done; sleep 0.2; echo err >&2; sleep 0.2; echo late")

	if r := e.run("logs", "--tail", "2", name); r.code != 0 || r.stdout != "late\n" || r.stderr != "err\n" {
		t.Errorf("logs --tail 2: code %d stdout %q stderr %q, want late / err", r.code, r.stdout, r.stderr)
	}
	if r := e.run("logs", "--tail", "0", name); r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Errorf("logs --tail 0: code %d stdout %q stderr %q, want nothing", r.code, r.stdout, r.stderr)
	}
	if out := e.must("logs", "--tail", "all", name); out != "l1\nl2\nl3\nl4\nlate\n" {
		t.Errorf("logs --tail all: %q", out)
	}
	ts := regexp.MustCompile(`^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z) (\S+)$`)
	stamped := map[string]string{}
	for _, l := range lines(e.must("logs", "-t", name)) {
		m := ts.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("logs -t line %q: want an RFC 3339 nano timestamp and the text", l)
		}
		stamped[m[2]] = m[1]
	}
	if len(stamped) != 5 {
		t.Fatalf("logs -t: %v, want 5 stdout entries", stamped)
	}
	if out := e.must("logs", "--since", stamped["late"], name); out != "late\n" {
		t.Errorf("logs --since the late entry's time: %q, want only late", out)
	}
	if out := e.must("logs", "--until", stamped["late"], name); out != "l1\nl2\nl3\nl4\n" {
		t.Errorf("logs --until the late entry's time: %q, want the early ones", out)
	}
	if out := e.must("logs", "--since", "10m", name); out != "l1\nl2\nl3\nl4\nlate\n" {
		t.Errorf("logs --since 10m: %q, want all", out)
	}
	if out := e.must("logs", "--until", "10m", name); out != "" {
		t.Errorf("logs --until 10m (ten minutes ago): %q, want nothing", out)
	}

	for _, bad := range []struct{ flag, val, says string }{
		{"--tail", "x", `"tail"`},
		{"--tail", "-3", `"tail"`},
		{"--since", "garbage", `"since"`},
		{"--until", "2024-13-45", `"until"`},
	} {
		r := e.run("logs", bad.flag, bad.val, name)
		if r.code != 1 || !strings.Contains(r.stderr, bad.says) || !strings.Contains(r.stderr, bad.val) || r.stdout != "" {
			t.Errorf("logs %s %s: code %d stdout %q stderr %q, want 1 and an error naming %s and the value", bad.flag, bad.val, r.code, r.stdout, r.stderr, bad.says)
		}
	}
}

// TestLogsRotation: with --log-opt max-size and max-file the monitor
// keeps max-file files of at most max-size; logs reads them oldest first,
// so what it prints is an ordered run of the latest lines ending with
// the last one, longer than the live file alone.
func TestLogsRotation(t *testing.T) {
	e, name := runEnv(t)
	t.Cleanup(func() { e.run("rm", "-f", name) })
	// The sleep keeps clear of a start race seen once under load (an init
	// whose program exits at once made start fail: wait said 128).
	id := strings.TrimSpace(e.must("run", "-d", "--name", name, "--log-opt", "max-size=1k", "--log-opt", "max-file=3",
		"busybox:test", "sh", "-c", "sleep 0.3; i=0; while [ $i -lt 200 ]; do printf 'line-%03d\\n' $i; i=$((i+1)); done"))
	if out := e.must("wait", name); out != "0\n" {
		t.Fatalf("wait: %q\n%s", out, e.must("inspect", "--format", "{{json .State}}", name))
	}
	log := filepath.Join(e.root, "containers", id, "container.log")
	for _, p := range []string{log, log + ".1", log + ".2"} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatalf("rotated log: %v", err)
		}
		if st.Size() > 1024 {
			t.Errorf("%s: %d bytes, want at most max-size 1024", p, st.Size())
		}
	}
	if _, err := os.Stat(log + ".3"); err == nil {
		t.Errorf("%s.3 exists: max-file=3 keeps three files", log)
	}
	got := lines(e.must("logs", name))
	live := strings.Count(readFile(t, log), "\n")
	if len(got) <= live {
		t.Errorf("logs printed %d lines, the live file alone has %d: rotated files not read", len(got), live)
	}
	last := 199
	for i := len(got) - 1; i >= 0; i-- {
		if want := fmt.Sprintf("line-%03d", last); got[i] != want {
			t.Fatalf("logs line %d: %q, want %q (ordered, ending with the last)\n%s", i, got[i], want, strings.Join(got, "\n"))
		}
		last--
	}
	if out := e.must("logs", "--tail", "3", name); out != "line-197\nline-198\nline-199\n" {
		t.Errorf("logs --tail 3 across rotation: %q", out)
	}

	// Bad options are refused before anything exists.
	for _, opt := range []string{"max-size=huge", "max-file=0", "colour=red", "max-file=3"} {
		r := e.run("run", "-d", "--name", name+"-bad", "--log-opt", opt, "busybox:test", "true")
		if r.code != 125 || !strings.Contains(r.stderr, "log opt") {
			t.Errorf("run --log-opt %s: code %d stderr %q, want 125 and an error about the log opt", opt, r.code, r.stderr)
		}
	}
	if ps := e.must("ps", "-a", "--format", "{{.Names}}"); strings.TrimSpace(ps) != name {
		t.Errorf("ps -a after refused runs: %q, want only %s", ps, name)
	}
}

// TestLogsFollowRotation: logs -f started before the output follows the
// live file across rotations and prints every line once, in order, then
// returns when the container exits.
func TestLogsFollowRotation(t *testing.T) {
	e, name := runEnv(t)
	t.Cleanup(func() { e.run("rm", "-f", name) })
	dir := t.TempDir()
	e.must("run", "-d", "--name", name, "-v", dir+":/m", "--log-opt", "max-size=1k", "--log-opt", "max-file=20",
		"busybox:test", "sh", "-c", "while [ ! -f /m/go ]; do sleep 0.05; done; i=0; while [ $i -lt 60 ]; do printf 'line-%03d\\n' $i; i=$((i+1)); sleep 0.02; done")
	f := e.start("logs", "-f", name)
	time.Sleep(300 * time.Millisecond) // logs -f is reading the empty log
	if err := os.WriteFile(filepath.Join(dir, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	select {
	case <-f.done:
	case <-time.After(2 * time.Minute):
		t.Fatal("logs -f did not return after the container exited")
	}
	var want []string
	for i := range 60 {
		want = append(want, fmt.Sprintf("line-%03d", i))
	}
	if got := readFile(t, f.out.Name()); got != strings.Join(want, "\n")+"\n" || f.code != 0 {
		t.Errorf("logs -f across rotation: code %d\n%s", f.code, got)
	}
}
