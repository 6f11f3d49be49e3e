package cli_test

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// ptyPair opens a pseudo-terminal: the master the test drives and the
// slave cais gets as its controlling terminal.
func ptyPair(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(); s.Close() })
	return m, s
}

func setSize(t *testing.T, f *os.File, rows, cols uint16) {
	t.Helper()
	if err := unix.IoctlSetWinsize(int(f.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: rows, Col: cols}); err != nil {
		t.Fatal(err)
	}
}

// screen collects what a terminal master prints.
type screen struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (s *screen) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.buf.String() }

func watch(m *os.File) *screen {
	s := &screen{}
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := m.Read(b)
			s.mu.Lock()
			s.buf.Write(b[:n])
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return s
}

// TestExecTty drives `cais exec -it CTR sh` from a real terminal: the
// shell runs on a terminal of its own of the caller's size, typed
// commands run and print, a resize of the caller's terminal reaches it,
// and exec returns the shell's exit code.
func TestExecTty(t *testing.T) {
	e, name := runEnv(t)
	t.Cleanup(func() { e.run("rm", "-f", name) })
	e.must("run", "-d", "--name", name, "busybox:test", "sleep", "1000")

	m, s := ptyPair(t)
	setSize(t, m, 24, 80)
	cmd := e.command("", "exec", "-it", name, "sh")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = s, s, s
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	exited := make(chan struct{})
	go func() { done <- cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	s.Close()
	out := watch(m)
	typed := func(line, want string) {
		t.Helper()
		if _, err := m.WriteString(line + "\n"); err != nil {
			t.Fatal(err)
		}
		untilTrue(t, "terminal shows "+want, func() bool { return strings.Contains(out.String(), want) })
	}
	typed("tty; echo sum=$((40+2))", "sum=42")
	if !strings.Contains(out.String(), "/dev/pts/") {
		t.Errorf("tty in the exec: want a terminal, got:\n%q", out.String())
	}
	typed("stty size | sed 's/^/size=/'", "size=24 80")
	setSize(t, m, 33, 111)
	// The resize travels cais → its SIGWINCH → the exec's pty.
	untilTrue(t, "the exec's terminal is resized", func() bool {
		m.WriteString("stty size | sed 's/^/size=/'\n")
		time.Sleep(50 * time.Millisecond)
		return strings.Contains(out.String(), "size=33 111")
	})
	m.WriteString("exit 5\n")
	select {
	case err := <-done:
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != 5 {
			t.Fatalf("exec -it after exit 5: %v, want exit status 5\n%q", err, out.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("exec -it did not return after exit\n%q", out.String())
	}
}

// TestExecInteractive: -i sends stdin to the process (its EOF ends cat);
// without -i the process's stdin is empty; -it without a terminal is
// refused as Docker refuses it.
func TestExecInteractive(t *testing.T) {
	e, name := runEnv(t)
	t.Cleanup(func() { e.run("rm", "-f", name) })
	e.must("run", "-d", "--name", name, "busybox:test", "sleep", "1000")
	if r := e.runIn("one\ntwo\n", "exec", "-i", name, "sh", "-c", "cat; echo end"); r.code != 0 || r.stdout != "one\ntwo\nend\n" {
		t.Errorf("exec -i cat: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	if r := e.runIn("one\n", "exec", name, "sh", "-c", "cat; echo end"); r.code != 0 || r.stdout != "end\n" {
		t.Errorf("exec without -i: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	if r := e.runIn("x\n", "exec", "-it", name, "cat"); r.code != 1 || !strings.Contains(r.stderr, "not a TTY") {
		t.Errorf("exec -it without a terminal: code %d stderr %q, want 1 and 'not a TTY'", r.code, r.stderr)
	}
	if r := e.run("exec", "-t", name, "nosuch"); r.code != 127 || !strings.Contains(r.stderr, "nosuch") {
		t.Errorf("exec -t of a missing command: code %d stderr %q, want 127 naming it", r.code, r.stderr)
	}
	// -t alone works without a terminal: output comes through the pty.
	if r := e.run("exec", "-t", name, "sh", "-c", "tty; exit 4"); r.code != 4 || !strings.Contains(r.stdout, "/dev/pts/") {
		t.Errorf("exec -t: code %d stdout %q stderr %q, want 4 and a pts", r.code, r.stdout, r.stderr)
	}
}
