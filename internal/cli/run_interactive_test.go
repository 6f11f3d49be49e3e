package cli_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cais-project/cais/internal/testgate"
)

// untilTrue polls cond until it holds; it fails the test only when cond
// never holds (a hung container), so nothing is timed.
func untilTrue(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 3000 {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("never happened: %s", what)
}

// bg is cais running in the background.
type bg struct {
	cmd  *exec.Cmd
	out  *os.File      // its stdout and stderr
	done chan struct{} // closed when it exited, code set
	code int
}

// start runs cais in the background with stdout and stderr in a temp
// file; it is killed at cleanup if still running.
func (e *env) start(args ...string) *bg {
	e.t.Helper()
	b := &bg{cmd: e.command("", args...), out: e.tempFile(), done: make(chan struct{})}
	b.cmd.Stdout, b.cmd.Stderr = b.out, b.out
	if err := b.cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	go func() {
		err := b.cmd.Wait()
		var ee *exec.ExitError
		switch {
		case errors.As(err, &ee):
			b.code = ee.ExitCode()
		case err != nil:
			b.code = -1
		}
		close(b.done)
	}()
	e.t.Cleanup(func() {
		b.cmd.Process.Kill()
		<-b.done
	})
	return b
}

func TestRunInteractiveStdin(t *testing.T) {
	e, name := runEnv(t)
	r := e.runIn("hello\nworld\n", "run", "-i", "--rm", "--name", name, "busybox:test", "cat")
	if r.code != 0 || r.stdout != "hello\nworld\n" {
		t.Fatalf("echo | run -i cat: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	// Without -i the container's stdin is empty however much is sent.
	r = e.runIn("hello\n", "run", "--rm", "--name", name, "busybox:test", "sh", "-c", "cat; echo end")
	if r.code != 0 || r.stdout != "end\n" {
		t.Fatalf("run without -i: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
}

// TestRunTty: under script's pty, run -t gives the container a terminal
// whose size is the CLI's (set by stty before the run).
func TestRunTty(t *testing.T) {
	testgate.Binary(t, "/usr/bin/script")
	e, name := runEnv(t)
	run := strings.Join(e.args("run", "-t", "--rm", "--name", name, "busybox:test", "sh", "-c", "'tty; stty size; echo done'"), " ")
	cmd := exec.Command("script", "-qec", "stty cols 100 rows 30; "+e.bin+" "+run, "/dev/null")
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+e.dockerConfig)
	out := e.tempFile()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		t.Fatalf("script: %v\n%s", err, readFile(t, out.Name()))
	}
	got := strings.ReplaceAll(readFile(t, out.Name()), "\r", "")
	if !regexp.MustCompile(`(?m)^(/dev/pts/\d+|/dev/console)$`).MatchString(got) {
		t.Errorf("tty in the container: want a terminal, got:\n%s", got)
	}
	if !strings.Contains(got, "\n30 100\n") {
		t.Errorf("stty size in the container: want 30 100 (the CLI's), got:\n%s", got)
	}
	if !strings.Contains(got, "done") {
		t.Errorf("the container did not finish:\n%s", got)
	}
}

// TestRunForwardsSignals: SIGTERM to a foreground run reaches the
// container, which traps it and exits 7; the CLI returns that code and,
// with --rm, leaves nothing.
func TestRunForwardsSignals(t *testing.T) {
	e, name := runEnv(t)
	dir := t.TempDir()
	b := e.start("run", "--rm", "--name", name, "-v", dir+":/m", "busybox:test", "sh", "-c",
		`trap "exit 7" TERM; touch /m/ready; while :; do sleep 0.1; done`)
	// PID 1 ignores a signal it has no handler for: wait for the trap.
	untilTrue(t, "the container set its trap", func() bool {
		_, err := os.Stat(filepath.Join(dir, "ready"))
		return err == nil
	})
	if err := b.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-b.done
	if b.code != 7 {
		t.Fatalf("run after SIGTERM: exit %d, want the container's 7\n%s", b.code, readFile(t, b.out.Name()))
	}
	if ps := e.must("ps", "-a", "-q"); ps != "" {
		t.Errorf("ps -a after --rm: %q, want nothing", ps)
	}
}

// TestAttachSeesNewOutput: attach to a detached container streams what
// it prints from then on.
func TestAttachSeesNewOutput(t *testing.T) {
	e, name := runEnv(t)
	t.Cleanup(func() { e.run("rm", "-f", name) })
	e.must("run", "-d", "--name", name, "busybox:test", "sh", "-c",
		`i=0; while :; do echo line$i; i=$((i+1)); sleep 0.1; done`)
	out := e.start("attach", name).out
	lines := regexp.MustCompile(`line(\d+)\n`)
	var first int
	untilTrue(t, "attach printed a line", func() bool {
		m := lines.FindStringSubmatch(readFile(t, out.Name()))
		if m != nil {
			first, _ = strconv.Atoi(m[1])
		}
		return m != nil
	})
	untilTrue(t, "attach printed a later line", func() bool {
		ms := lines.FindAllStringSubmatch(readFile(t, out.Name()), -1)
		last, _ := strconv.Atoi(ms[len(ms)-1][1])
		return last > first
	})
	if got := readFile(t, out.Name()); strings.Contains(got, "line0\n") && first != 0 {
		t.Errorf("attach replayed old output:\n%s", got)
	}
}

// TestAttachStdin: attach sends its stdin to a container started with
// -i; its EOF closes the container's stdin, so cat exits 0, and attach
// returns that code.
func TestAttachStdin(t *testing.T) {
	e, name := runEnv(t)
	t.Cleanup(func() { e.run("rm", "-f", name) })
	e.must("run", "-d", "-i", "--name", name, "busybox:test", "sh", "-c", "cat; echo eof")
	r := e.runIn("typed\n", "attach", name)
	if r.code != 0 || r.stdout != "typed\neof\n" {
		t.Fatalf("attach with stdin: code %d stdout %q stderr %q, want 0 and %q", r.code, r.stdout, r.stderr, "typed\neof\n")
	}
}
