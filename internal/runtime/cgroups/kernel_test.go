package cgroups

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/cais-project/cais/internal/testgate"
)

// child is a busybox shell that waits on its stdin before running its
// script, so a test can move it into a cgroup first.
type child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Reader
	done   bool
}

func startChild(t *testing.T, script string) *child {
	t.Helper()
	testgate.Binary(t, "/bin/busybox")
	c := &child{cmd: exec.Command("/bin/busybox", "sh", "-c", "read _ && { "+script+"; } 2>&1")}
	// Its own process group, so kill reaches the commands it started.
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var err error
	if c.stdin, err = c.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c.stdout = bufio.NewReader(out)
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.kill)
	return c
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// release lets the script run.
func (c *child) release(t *testing.T) {
	t.Helper()
	if _, err := c.stdin.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	c.stdin.Close()
}

// line reads one line of output.
func (c *child) line(t *testing.T) string {
	t.Helper()
	l, err := c.stdout.ReadString('\n')
	if err != nil {
		t.Fatalf("reading the child's output: %v (got %q)", err, l)
	}
	return strings.TrimSpace(l)
}

// wait returns the rest of the output and the exit error.
func (c *child) wait() (string, error) {
	rest, _ := io.ReadAll(c.stdout)
	err := c.cmd.Wait()
	c.done = true
	return string(rest), err
}

// kill stops the child and everything it started, and reaps it.
func (c *child) kill() {
	_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
	if !c.done {
		_ = c.cmd.Wait()
		c.done = true
	}
}

// testParent returns an absolute cgroupsPath "/cais-test-<random>" and
// removes that cgroup (and everything below it) in every hierarchy when the
// test ends, even if it fails.
func testParent(t *testing.T, root string) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	parent := "/cais-test-" + hex.EncodeToString(b)
	t.Cleanup(func() {
		m, err := New(root, parent, "parent")
		if err != nil {
			t.Errorf("cleanup: %v", err)
			return
		}
		if err := m.Destroy(); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return parent
}

// readKernel reads a cgroup file for the test's assertions.
func readKernel(t *testing.T, dir, file string) string {
	t.Helper()
	v, err := readFile(dir, file)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// assertGone checks that every directory of m is gone.
func assertGone(t *testing.T, m Manager) {
	t.Helper()
	for c, p := range m.Paths() {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("after Destroy the %q cgroup %s: stat error %v, want not exist", c, p, err)
		}
	}
}

// assertHasPid checks that pid is in cgroup.procs of every dir of m and
// in Pids.
func assertHasPid(t *testing.T, m Manager, pid int) {
	t.Helper()
	for c, p := range m.Paths() {
		procs := strings.Fields(readKernel(t, p, "cgroup.procs"))
		if !slices.Contains(procs, strconv.Itoa(pid)) {
			t.Errorf("%q cgroup.procs = %v, want %d in it", c, procs, pid)
		}
	}
	pids, err := m.Pids()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(pids, pid) {
		t.Errorf("Pids() = %v, want %d in it", pids, pid)
	}
}
