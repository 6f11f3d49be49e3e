package compat

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if imagePath != "" {
		os.RemoveAll(filepath.Dir(imagePath))
	}
	os.Exit(code)
}

// result is what a command printed and how it exited.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
}

// run runs c to completion with stdout and stderr going to files, not
// pipes: a daemon or container that inherits a pipe would keep it open and
// hang Run.
func run(t *testing.T, c *exec.Cmd) result {
	t.Helper()
	dir := t.TempDir()
	out, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	errf, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer errf.Close()
	c.Stdout, c.Stderr = out, errf
	err = c.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running %v: %v", c.Args, err)
	}
	o, _ := os.ReadFile(out.Name())
	e, _ := os.ReadFile(errf.Name())
	return result{string(o), string(e), code}
}

// must runs c and fails the test unless it exits 0; it returns stdout.
func must(t *testing.T, c *exec.Cmd) string {
	t.Helper()
	r := run(t, c)
	if r.code != 0 {
		t.Fatalf("%s: %s", strings.Join(c.Args, " "), r)
	}
	return r.stdout
}

// waitFor polls cond until it holds, failing the test after limit. It waits
// for daemons to become ready; it asserts nothing about speed.
func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// killByCmdline sends SIGKILL to every process but ours whose command line
// contains needle (a test's private directory), and returns their
// command lines.
func killByCmdline(needle string) []string {
	entries, _ := os.ReadDir("/proc")
	var killed []string
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || !strings.Contains(string(b), needle) {
			continue
		}
		if syscall.Kill(pid, syscall.SIGKILL) == nil {
			killed = append(killed, strings.ReplaceAll(strings.TrimRight(string(b), "\x00"), "\x00", " "))
		}
	}
	return killed
}

// processesWith reports whether a process other than ours has needle in its
// command line.
func processesWith(needle string) bool {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		if b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline"); err == nil && strings.Contains(string(b), needle) {
			return true
		}
	}
	return false
}

// mountsUnder lists the mount points at or below dir, deepest first.
func mountsUnder(dir string) []string {
	infos, err := mountinfo.GetMounts(mountinfo.PrefixFilter(dir))
	if err != nil {
		return []string{"mount table unreadable: " + err.Error()}
	}
	var points []string
	for _, m := range infos {
		points = append(points, m.Mountpoint)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(points)))
	return points
}

// checkNoMounts fails t if anything is still mounted under dir, then
// detaches what it found so the temp dir can be removed.
func checkNoMounts(t *testing.T, dir string) {
	t.Helper()
	left := mountsUnder(dir)
	if len(left) == 0 {
		return
	}
	t.Errorf("mounts left under %s:\n\t%s", dir, strings.Join(left, "\n\t"))
	for _, p := range left {
		_ = unix.Unmount(p, unix.MNT_DETACH)
	}
}

// problems keeps the lines of a daemon log that report warnings or errors.
func problems(log string) string {
	var keep []string
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "level=warn") || strings.Contains(l, "level=error") || strings.Contains(l, "level=fatal") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// removeEmptyHostDirs registers a cleanup removing those of paths (listed
// parent first) that do not exist yet: files, and directories if they are
// empty by then. Shims, ctr and dockerd create them on the host whatever
// their daemon's state directory is.
func removeEmptyHostDirs(t *testing.T, dirs ...string) {
	t.Helper()
	var fresh []string
	for _, d := range dirs {
		if _, err := os.Stat(d); os.IsNotExist(err) {
			fresh = append(fresh, d)
		}
	}
	t.Cleanup(func() {
		for i := len(fresh) - 1; i >= 0; i-- {
			_ = os.Remove(fresh[i]) // fails, harmlessly, when not empty
		}
	})
}

// removeCgroupParent registers a cleanup removing the (by then empty)
// cgroup /cais-test/<name> and the empty cgroups below it (Podman's conmon
// cgroup) from every v1 hierarchy and the unified one: engines given a
// cgroup parent create it but, like runc, never remove it. Call it before
// starting the engine, so it runs after the engine is gone.
func removeCgroupParent(t *testing.T, name string) {
	t.Helper()
	t.Cleanup(func() {
		dirs, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup/*/cais-test", name))
		dirs = append(dirs, filepath.Join("/sys/fs/cgroup/cais-test", name)) // pure cgroup2
		for _, d := range dirs {
			rmdirTree(d)
		}
	})
}

// rmdirTree removes the empty directories of the tree at dir, deepest
// first; a cgroup directory is empty when it has no child and no process.
// What cannot be removed stays, for the leak check to report.
func rmdirTree(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() {
			rmdirTree(filepath.Join(dir, e.Name()))
		}
	}
	_ = unix.Rmdir(dir)
}
