package cli_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/testgate"
)

// TestCVE_2019_5736 checks that the container cannot reach the runtime
// binary for writing through /proc/<init>/exe: the init runs from a
// read-only mount, so even after it exited (no ETXTBSY) the file it ran
// cannot be reopened for writing.
func TestCVE_2019_5736(t *testing.T) {
	r := newRT(t)
	// A private copy: another test running the shared binary would make
	// the reopen below fail with ETXTBSY whatever the mount.
	r.bin = copyFile(t, r.bin, filepath.Join(t.TempDir(), "cais-runtime"))
	r.must("create", "--bundle", r.bundle("true"), r.name)
	pid := state(t, r).Pid
	exe := fmt.Sprintf("/proc/%d/exe", pid)
	target, err := os.Readlink(exe)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(filepath.Base(target), "cais-runtime") {
		t.Errorf("readlink %s = %q, want the cais-runtime binary", exe, target)
	}
	fd, err := unix.Open(exe, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	r.must("delete", "--force", r.name)

	// O_WRONLY without O_TRUNC and never a write: if this succeeded on a
	// writable binary it would still change nothing.
	w, err := unix.Open(fmt.Sprintf("/proc/self/fd/%d", fd), unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err == nil {
		unix.Close(w)
		t.Fatalf("reopened the init's executable %s for writing", target)
	}
	if !errors.Is(err, unix.EROFS) {
		t.Fatalf("reopening the init's executable for writing: %v, want EROFS", err)
	}
}

// TestCVE_2024_21626 checks that no file descriptor of the runtime reaches
// the container, apart from those --preserve-fds passes on, and that a cwd
// through /proc/self/fd is refused.
func TestCVE_2024_21626(t *testing.T) {
	t.Run("only stdio", func(t *testing.T) {
		r := newRT(t)
		// ls opens fd 3 itself for the directory it lists.
		if out := r.must("run", "--bundle", r.bundle("ls /proc/self/fd"), r.name); out != "0\n1\n2\n3\n" {
			t.Fatalf("container's fds:\n%s\nwant 0 1 2 and ls's own 3", out)
		}
	})
	t.Run("preserve-fds", func(t *testing.T) {
		r := newRT(t)
		extra := tempFile(t)
		if _, err := extra.WriteString("passed on\n"); err != nil {
			t.Fatal(err)
		}
		c := r.cmd("run", "--preserve-fds", "1", "--bundle", r.bundle("ls /proc/self/fd; cat /proc/self/fd/3"), r.name)
		out := tempFile(t)
		c.Stdout, c.Stderr = out, out
		c.ExtraFiles = []*os.File{mustOpen(t, extra.Name())}
		if err := c.Run(); err != nil {
			t.Fatalf("run: %v\n%s", err, readBack(t, out))
		}
		if got, want := readBack(t, out), "0\n1\n2\n3\n4\npassed on\n"; got != want {
			t.Fatalf("container printed:\n%s\nwant:\n%s", got, want)
		}
	})
	t.Run("cwd through a runtime fd", func(t *testing.T) {
		r := newRT(t)
		res := r.run("create", "--bundle", r.bundle("true", func(s *specs.Spec) { s.Process.Cwd = "/proc/self/fd/7" }), r.name)
		if res.code == 0 || !strings.Contains(res.stderr, "process.cwd") {
			t.Fatalf("create with cwd /proc/self/fd/7: exit %d, stderr %q; want a refusal naming process.cwd", res.code, res.stderr)
		}
		if r.stateDirExists() {
			t.Error("state directory left behind")
		}
	})
}

func copyFile(t *testing.T, from, to string) string {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return to
}

func mustOpen(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestCVE_2016_9962 checks that the init is not dumpable until it execs
// the user's program, so that nothing sharing its uid (a process exec'd
// into the container) can ptrace it or read its /proc files while it
// holds the runtime's fds. Observed from the host: a uid 0 process
// without CAP_SYS_PTRACE, but with every other capability (a superset of
// the container's, so the capability check of ptrace passes), may open
// /proc/PID/mem of a uid 0 process only if that process is dumpable.
// (Reading it at offset 0 then fails with EIO: nothing is mapped there.)
func TestCVE_2016_9962(t *testing.T) {
	r := newRT(t)
	testgate.Binary(t, "/usr/bin/setpriv")
	r.must("create", "--bundle", r.bundle("exec sleep 60"), r.name)
	pid := state(t, r).Pid
	openMem := func() result {
		c := exec.Command("/usr/bin/setpriv", "--bounding-set", "-sys_ptrace", "cat", fmt.Sprintf("/proc/%d/mem", pid))
		out, errb := tempFile(t), tempFile(t)
		c.Stdout, c.Stderr = out, errb
		code := 0
		if err := c.Run(); err != nil {
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Fatal(err)
			}
			code = ee.ExitCode()
		}
		return result{readBack(t, out), readBack(t, errb), code}
	}
	if res := openMem(); !strings.Contains(res.stderr, "Permission denied") {
		t.Fatalf("while created, opening the init's mem without CAP_SYS_PTRACE: exit %d, stderr %q; want permission denied (the init is dumpable)", res.code, res.stderr)
	}
	r.must("start", r.name)
	// The program after exec is dumpable again, and the same open works:
	// this is what makes the check above able to fail.
	waitFor(t, func() bool {
		res := openMem()
		return res.stderr != "" && !strings.Contains(res.stderr, "Permission denied")
	})
	r.must("delete", "--force", r.name)
}

// TestCVE_2022_29162 checks that a config asking for no inheritable
// capabilities gets none, and so no ambient ones, for a non-root user
// (whose permitted set after exec is then empty: busybox has no file
// capabilities). TestRunFeatures shows ambient ones do arrive when the
// inheritable set allows them.
func TestCVE_2022_29162(t *testing.T) {
	r := newRT(t)
	b := r.bundle(`grep -E '^Cap(Inh|Amb|Bnd):' /proc/self/status`, func(s *specs.Spec) {
		s.Process.User = specs.User{UID: 1000, GID: 1000}
		s.Process.Capabilities.Ambient = []string{"CAP_KILL"}
	})
	out := r.must("run", "--bundle", b, r.name)
	for _, want := range []string{"CapInh:\t0000000000000000\n", "CapAmb:\t0000000000000000\n", "CapBnd:\t0000000020000420\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("capabilities lack %q:\n%s", want, out)
		}
	}
}

// TestMemoryLimit8MiB runs a trivial program under an 8 MiB memory limit:
// whatever the init (a Go program) allocates before exec is charged to the
// container, and must fit.
func TestMemoryLimit8MiB(t *testing.T) {
	r := newRT(t)
	const limit = 8 << 20
	b := r.bundle("true", func(s *specs.Spec) {
		s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: ptr(int64(limit))}
	})
	t.Cleanup(func() { r.run("delete", "--force", r.name) })
	res := r.run("run", "--keep", "--bundle", b, r.name)
	if res.code != 0 {
		t.Fatalf("run under an 8 MiB limit: exit %d, stderr %s", res.code, res.stderr)
	}
	dir := filepath.Join("/sys/fs/cgroup/memory/cais-test", r.name)
	file := "memory.max_usage_in_bytes"
	if _, err := os.Stat(dir); err != nil {
		dir, file = filepath.Join("/sys/fs/cgroup/cais-test", r.name), "memory.peak"
	}
	peak := readInt(t, filepath.Join(dir, file))
	t.Logf("peak memory of the container: %d KiB", peak>>10)
	if peak > limit {
		t.Errorf("peak %d above the limit %d", peak, limit)
	}
	r.must("delete", r.name)
}

func readInt(t *testing.T, path string) int64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestConcurrentCreateSameID races ten creates of one id: exactly one wins
// and the others say the container exists.
func TestConcurrentCreateSameID(t *testing.T) {
	r := newRT(t)
	b := r.bundle("sleep 60")
	const n = 10
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i] = r.run("create", "--bundle", b, r.name) })
	}
	wg.Wait()
	won := 0
	for i, res := range results {
		switch {
		case res.code == 0:
			won++
		case !strings.Contains(res.stderr, "exists"):
			t.Errorf("create %d: exit %d, stderr %q; want success or an \"exists\" error", i, res.code, res.stderr)
		}
	}
	if won != 1 {
		t.Fatalf("%d creates succeeded, want 1", won)
	}
	if st := state(t, r); st.Status != specs.StateCreated {
		t.Fatalf("status %s after the race, want created", st.Status)
	}
	r.must("delete", "--force", r.name)
	if r.stateDirExists() {
		t.Fatal("state directory left after delete")
	}
}

// TestConcurrentLifecycle races start, kill and delete of one container:
// whatever order they run in, the state stays readable and a final delete
// leaves nothing behind.
func TestConcurrentLifecycle(t *testing.T) {
	for try := range 3 {
		t.Run(strconv.Itoa(try), func(t *testing.T) {
			r := newRT(t)
			r.must("create", "--bundle", r.bundle("sleep 60"), r.name)
			var wg sync.WaitGroup
			for _, args := range [][]string{
				{"start", r.name}, {"start", r.name},
				{"kill", r.name, "KILL"}, {"kill", r.name, "TERM"},
				{"delete", "--force", r.name}, {"delete", r.name},
				{"state", r.name}, {"list", "-q"},
			} {
				wg.Go(func() { r.run(args...) })
			}
			wg.Wait()
			if res := r.run("state", r.name); res.code == 0 {
				var st specs.State
				if err := json.Unmarshal([]byte(res.stdout), &st); err != nil || st.ID != r.name {
					t.Fatalf("state after the race is not the container's: %v\n%s", err, res.stdout)
				}
			} else if !strings.Contains(res.stderr, "not exist") && !strings.Contains(res.stderr, "not found") {
				t.Fatalf("state after the race: exit %d, %s", res.code, res.stderr)
			}
			if res := r.run("list", "-q"); res.code != 0 {
				t.Fatalf("list after the race: exit %d, %s", res.code, res.stderr)
			}
			if res := r.run("delete", "--force", r.name); res.code != 0 && r.stateDirExists() {
				t.Fatalf("final delete: exit %d, %s", res.code, res.stderr)
			}
			if r.stateDirExists() {
				t.Fatal("state directory left after delete")
			}
		})
	}
}
