package monitor_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cais-project/cais/internal/engine/monitor"
)

// procCmdline is pid's command line with spaces, or "" once it is gone
// (a zombie has none either).
func procCmdline(pid int) string {
	b, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
}

func pidGone(pid int) bool {
	_, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid)))
	return os.IsNotExist(err)
}

// TestPrespawnAbort: a prespawned monitor runs (named after its container)
// until aborted, then exits by itself on EOF, and has made nothing: no
// directory, socket or log.
func TestPrespawnAbort(t *testing.T) {
	e := newEnv(t, "cais-runtime")
	dir := filepath.Join(e.dir, "m")
	p, err := monitor.Prespawn(e.bin, e.name, dir)
	if err != nil {
		t.Fatal(err)
	}
	pid := p.Pid()
	// Give it time to finish its start-up and block on the pipe, so that
	// the abort tests the monitor's own EOF handling.
	time.Sleep(200 * time.Millisecond)
	if cl := procCmdline(pid); !strings.Contains(cl, "cais-monitor --id "+e.name) {
		t.Fatalf("prespawned monitor %d: cmdline %q, want it named after %s", pid, cl, e.name)
	}
	if err := p.Abort(); err != nil {
		t.Error(err)
	}
	if !pidGone(pid) {
		t.Errorf("monitor %d still there after Abort: %q", pid, procCmdline(pid))
	}
	if _, err := os.Lstat(dir); !os.IsNotExist(err) {
		t.Errorf("monitor dir after Abort: %v, want none", err)
	}
	if _, _, err := p.Start(context.Background(), monitor.Config{ID: e.name, Dir: dir}); err == nil {
		t.Error("Start after Abort succeeded")
	}
}

// TestPrespawnStart: a prespawned monitor given its config runs the
// container as a spawned one does, writing its log where Spawn's would be.
func TestPrespawnStart(t *testing.T) {
	e := newEnv(t, "cais-runtime")
	p, err := monitor.Prespawn(e.bin, e.name, e.dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.config("echo hello; exit 4")
	cfg.StartNow = true
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, pid, err := p.Start(ctx, cfg)
	if err != nil {
		b, _ := os.ReadFile(filepath.Join(e.dir, "monitor.log"))
		t.Fatalf("Start: %v\nmonitor log:\n%s", err, b)
	}
	if pid <= 0 {
		t.Errorf("init pid %d", pid)
	}
	st := e.wait(c)
	if st.State != monitor.StateExited || st.ExitCode != 4 {
		t.Errorf("final status %+v, want exited 4", st)
	}
	if ls := readJSONLog(t, filepath.Join(e.dir, "container.log")); len(ls) != 1 || ls[0].Log != "hello\n" {
		t.Errorf("container log %+v, want one line hello", ls)
	}
	if err := p.Abort(); err != nil {
		t.Errorf("Abort after Start: %v", err)
	}
}

// TestPrespawnCreateFailure: a prespawned monitor that cannot create the
// container reports it as Spawn's would (127 for a missing program), with
// its own message in its log, and ends.
func TestPrespawnCreateFailure(t *testing.T) {
	e := newEnv(t, "cais-runtime")
	p, err := monitor.Prespawn(e.bin, e.name, e.dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.config("")
	s := readSpec(t, cfg.Bundle)
	s.Process.Args = []string{"/no/such/program"}
	writeSpec(t, cfg.Bundle, s)
	_, _, err = p.Start(context.Background(), cfg)
	var ce *monitor.CreateError
	if !errorsAs(err, &ce) || ce.ExitCode != 127 {
		t.Errorf("Start with a missing program: %v; want CreateError with exit code 127", err)
	}
	eventually(t, func() bool { return pidGone(p.Pid()) })
	if b, _ := os.ReadFile(filepath.Join(e.dir, "monitor.log")); !strings.Contains(string(b), "/no/such/program") {
		t.Errorf("monitor log %q, want the create error", b)
	}
}

// TestPrespawnWrongConfig: a config for another container is refused and
// ends the prespawned monitor without leaving anything.
func TestPrespawnWrongConfig(t *testing.T) {
	e := newEnv(t, "cais-runtime")
	dir := filepath.Join(e.dir, "m")
	p, err := monitor.Prespawn(e.bin, e.name, dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.config("true")
	cfg.Dir = dir
	cfg.ID = e.name + "-other"
	if _, _, err := p.Start(context.Background(), cfg); err == nil {
		t.Fatal("Start with another container's config succeeded")
	}
	if !pidGone(p.Pid()) {
		t.Errorf("monitor %d still there: %q", p.Pid(), procCmdline(p.Pid()))
	}
	if _, err := os.Lstat(dir); !os.IsNotExist(err) {
		t.Errorf("monitor dir: %v, want none", err)
	}
}
