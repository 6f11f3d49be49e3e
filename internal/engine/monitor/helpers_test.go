package monitor_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/engine/monitor"
	"github.com/cais-project/cais/internal/engine/ocicli"
	"github.com/cais-project/cais/internal/fixture"
	"github.com/cais-project/cais/internal/testgate"
)

// runtimes are the OCI runtimes the main cases run under.
var runtimes = []string{"cais-runtime", "runc"}

func runtimePath(t *testing.T, name string) string {
	if name == "runc" {
		testgate.Binary(t, "/usr/sbin/runc")
		return "/usr/sbin/runc"
	}
	return fixture.Binary(t, "cais-runtime")
}

// env is one test's monitor setup: a short monitor dir (unix socket paths
// are limited to 108 bytes), a private runtime root, and cleanups that
// kill the monitor and delete the container whatever the test did.
type env struct {
	t    *testing.T
	name string
	dir  string
	rt   ocicli.Runtime
	bin  string
}

func newEnv(t *testing.T, runtime string) *env {
	t.Helper()
	testgate.Root(t)
	name := fixture.Name(t)
	dir, err := os.MkdirTemp("/tmp", "cm-")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	fixture.CheckLeaks(t, name, root, dir)
	e := &env{t: t, name: name, dir: dir, rt: ocicli.Runtime{Path: runtimePath(t, runtime), Root: root}, bin: fixture.Binary(t, "cais-monitor")}
	t.Cleanup(func() {
		if st, err := monitor.ReadState(dir); err == nil && monitor.Alive(dir) {
			syscall.Kill(st.MonitorPid, syscall.SIGKILL)
		}
		e.rt.Delete(context.Background(), name, true)
		os.RemoveAll(dir)
	})
	return e
}

// config is a monitor config for a bundle running script in sh.
func (e *env) config(script string, edits ...func(*specs.Spec)) monitor.Config {
	bundle := fixture.Bundle(e.t, append([]func(*specs.Spec){func(s *specs.Spec) {
		s.Process.Args = []string{"sh", "-c", script}
	}}, edits...)...)
	return monitor.Config{ID: e.name, Bundle: bundle, Dir: e.dir, Runtime: e.rt}
}

func (e *env) spawn(cfg monitor.Config) *monitor.Client {
	e.t.Helper()
	c, pid := e.spawnPid(cfg)
	if pid <= 0 {
		e.t.Fatalf("Spawn returned init pid %d", pid)
	}
	return c
}

// spawnPid spawns a monitor for cfg, failing the test with the monitor's
// log when it does not come up.
func (e *env) spawnPid(cfg monitor.Config) (*monitor.Client, int) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, pid, err := monitor.Spawn(ctx, e.bin, cfg)
	if err != nil {
		b, _ := os.ReadFile(filepath.Join(e.dir, "monitor.log"))
		e.t.Fatalf("Spawn: %v\nmonitor log:\n%s", err, b)
	}
	return c, pid
}

func (e *env) wait(c *monitor.Client) monitor.Status {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st, err := c.Wait(ctx)
	if err != nil {
		e.t.Fatalf("Wait: %v", err)
	}
	return st
}

// hostDir bind-mounts a fresh host directory at /host in the container.
func hostDir(t *testing.T, dir string) func(*specs.Spec) {
	return func(s *specs.Spec) {
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/host", Type: "bind", Source: dir, Options: []string{"rbind", "rw"}})
	}
}

func lines(t *testing.T, path string) int {
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}

// eventually polls cond until it holds; the test deadline bounds it.
func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	for !cond() {
		time.Sleep(20 * time.Millisecond)
	}
}
