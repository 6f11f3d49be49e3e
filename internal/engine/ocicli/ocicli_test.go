package ocicli_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/engine/ocicli"
	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/fixture"
	"github.com/cais-project/cais/internal/testgate"
)

// runtimes are the binaries every lifecycle test runs against.
func runtimes(t *testing.T) map[string]func(t *testing.T) string {
	return map[string]func(t *testing.T) string{
		"cais-runtime": func(t *testing.T) string { return fixture.Binary(t, "cais-runtime") },
		"runc": func(t *testing.T) string {
			testgate.Binary(t, "/usr/sbin/runc")
			return "/usr/sbin/runc"
		},
	}
}

// setup gates, checks leaks and returns a Runtime with a private root that
// force-deletes the test's container on cleanup.
func setup(t *testing.T, bin func(t *testing.T) string) (ocicli.Runtime, string) {
	t.Helper()
	testgate.Root(t)
	name := fixture.Name(t)
	root := t.TempDir()
	fixture.CheckLeaks(t, name, root)
	r := ocicli.Runtime{Path: bin(t), Root: root}
	t.Cleanup(func() { r.Delete(context.Background(), name, true) })
	return r, name
}

func TestLifecycle(t *testing.T) {
	for rtName, bin := range runtimes(t) {
		t.Run(rtName, func(t *testing.T) {
			ctx := context.Background()
			r, id := setup(t, bin)
			bundle := fixture.Bundle(t, func(s *specs.Spec) {
				s.Process.Args = []string{"sh", "-c", "echo out; echo err >&2; read line; echo got $line; exec sleep 1000"}
			})
			dir := t.TempDir()
			stdinR, stdinW := pipe(t)
			out := tempFile(t, dir, "out")
			errf := tempFile(t, dir, "err")
			pidFile := filepath.Join(dir, "pid")
			if err := r.Create(ctx, id, bundle, ocicli.CreateOpts{PidFile: pidFile, IO: &ocicli.IO{Stdin: stdinR, Stdout: out, Stderr: errf}}); err != nil {
				t.Fatalf("Create: %v", err)
			}
			stdinR.Close()
			st, err := r.State(ctx, id)
			if err != nil || st.Status != specs.StateCreated || st.ID != id {
				t.Fatalf("State after create = %+v, %v; want created %s", st, err, id)
			}
			if b, _ := os.ReadFile(pidFile); strings.TrimSpace(string(b)) != strconv.Itoa(st.Pid) {
				t.Errorf("pid file %q, state pid %d", b, st.Pid)
			}
			if err := r.Start(ctx, id); err != nil {
				t.Fatalf("Start: %v", err)
			}
			if _, err := stdinW.WriteString("hello\n"); err != nil {
				t.Fatal(err)
			}
			waitFor(t, func() bool { b, _ := os.ReadFile(out.Name()); return string(b) == "out\ngot hello\n" })
			if b, _ := os.ReadFile(errf.Name()); string(b) != "err\n" {
				t.Errorf("stderr = %q, want %q", b, "err\n")
			}
			if st, _ := r.State(ctx, id); st.Status != specs.StateRunning {
				t.Errorf("status after start = %q", st.Status)
			}
			pids, err := r.Ps(ctx, id)
			if err != nil || len(pids) != 1 || pids[0] != st.Pid {
				t.Errorf("Ps = %v, %v; want [%d]", pids, err, st.Pid)
			}
			if err := r.Pause(ctx, id); err != nil {
				t.Fatalf("Pause: %v", err)
			}
			if st, _ := r.State(ctx, id); st.Status != "paused" {
				t.Errorf("status after pause = %q", st.Status)
			}
			if err := r.Resume(ctx, id); err != nil {
				t.Fatalf("Resume: %v", err)
			}
			limit := int64(64 << 20)
			if err := r.Update(ctx, id, specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}}); err != nil {
				t.Fatalf("Update: %v", err)
			}
			s, err := r.Stats(ctx, id)
			if err != nil {
				t.Fatalf("Stats: %v", err)
			}
			if s.Memory.Usage.Limit != uint64(limit) || s.Pids.Current != 1 {
				t.Errorf("Stats memory limit %d pids %d; want %d and 1", s.Memory.Usage.Limit, s.Pids.Current, limit)
			}
			execOut := tempFile(t, dir, "exec")
			err = r.Exec(ctx, id, specs.Process{Args: []string{"sh", "-c", "echo in-exec; exit 3"}, Cwd: "/", Env: []string{"PATH=/bin"}},
				ocicli.ExecOpts{IO: &ocicli.IO{Stdout: execOut}})
			if got := ocicli.ExitStatus(err); got != 3 {
				t.Errorf("Exec exit status = %d (%v), want 3", got, err)
			}
			if b, _ := os.ReadFile(execOut.Name()); string(b) != "in-exec\n" {
				t.Errorf("exec stdout = %q", b)
			}
			if err := r.Kill(ctx, id, syscall.SIGKILL, false); err != nil {
				t.Fatalf("Kill: %v", err)
			}
			waitFor(t, func() bool { st, _ := r.State(ctx, id); return st.Status == specs.StateStopped })
			if err := r.Delete(ctx, id, false); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			_, err = r.State(ctx, id)
			var e *ocicli.Error
			if !errors.Is(err, errdefs.ErrNotFound) || !errors.As(err, &e) || e.Msg == "" {
				t.Errorf("State after delete: %v; want a NotFound *Error with the runtime's message", err)
			}
			if l, err := r.List(ctx); err != nil || len(l) != 0 {
				t.Errorf("List after delete = %v, %v; want empty", l, err)
			}
		})
	}
}

// unstartable are programs a runtime cannot start, with the exit code
// each must map to.
var unstartable = []struct {
	name string
	args []string
	want int
}{
	{"missing-in-path", []string{"no-such-program"}, 127},
	{"missing-path", []string{"/no/such/program"}, 127},
	{"not-executable", []string{"/etc/passwd"}, 126},
}

func TestCreateFailuresMapToExitCodes(t *testing.T) {
	for rtName, bin := range runtimes(t) {
		for _, tc := range unstartable {
			t.Run(rtName+"/"+tc.name, func(t *testing.T) {
				ctx := context.Background()
				r, id := setup(t, bin)
				bundle := fixture.Bundle(t, func(s *specs.Spec) { s.Process.Args = tc.args })
				err := r.Create(ctx, id, bundle, ocicli.CreateOpts{})
				if err == nil {
					// Some runtimes find out only when they exec.
					err = r.Start(ctx, id)
				}
				if got := ocicli.ExitCode(err); got != tc.want {
					t.Errorf("ExitCode(%v) = %d, want %d", err, got, tc.want)
				}
			})
		}
	}
}

func TestVersionAndFeatures(t *testing.T) {
	for rtName, bin := range runtimes(t) {
		t.Run(rtName, func(t *testing.T) {
			r := ocicli.Runtime{Path: bin(t), Root: t.TempDir()}
			v, err := r.Version(context.Background())
			if err != nil || v.Runtime == "" || v.Spec == "" {
				t.Errorf("Version = %+v, %v", v, err)
			}
			f, err := r.Features(context.Background())
			if err != nil || f.OCIVersionMax == "" || len(f.MountOptions) == 0 {
				t.Errorf("Features = %+v, %v", f, err)
			}
		})
	}
}

func TestMissingBinary(t *testing.T) {
	r := ocicli.Runtime{Path: filepath.Join(t.TempDir(), "nothing")}
	_, err := r.State(context.Background(), "x")
	var e *ocicli.Error
	if !errors.As(err, &e) || e.Status != -1 {
		t.Errorf("State with a missing binary: %v; want *Error with status -1", err)
	}
}

func pipe(t *testing.T) (*os.File, *os.File) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

func tempFile(t *testing.T, dir, name string) *os.File {
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}
