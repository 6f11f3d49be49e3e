package monitor_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cais-project/cais/internal/engine/monitor"
	"github.com/cais-project/cais/internal/errdefs"
)

// spawnDeferred spawns a CreateOnStart monitor: no container exists
// until the start request.
func (e *env) spawnDeferred(cfg monitor.Config) *monitor.Client {
	e.t.Helper()
	cfg.CreateOnStart = true
	c, _ := e.spawnPid(cfg)
	return c
}

// TestCreateOnStart: the runtime knows no container before the start
// request; stdin written before it and the output written at once
// reach the attached client; the start reports running.
func TestCreateOnStart(t *testing.T) {
	for _, rt := range runtimes {
		t.Run(rt, func(t *testing.T) {
			e := newEnv(t, rt)
			cfg := e.config("echo first; echo second >&2; read l; echo got $l")
			cfg.Stdin = true
			c := e.spawnDeferred(cfg)
			ctx := context.Background()
			if _, err := e.rt.State(ctx, e.name); !errors.Is(err, errdefs.ErrNotFound) {
				t.Fatalf("runtime state before start: %v, want not found", err)
			}
			if st, err := c.Status(ctx); err != nil || st.State != monitor.StateCreated || st.Pid != 0 {
				t.Fatalf("status before start: %+v, %v; want created, no pid", st, err)
			}
			var out, errb syncBuffer
			stdinR, stdinW := io.Pipe()
			a, err := c.Attach(ctx, monitor.AttachOptions{Stdin: stdinR, Stdout: &out, Stderr: &errb})
			if err != nil {
				t.Fatalf("Attach: %v", err)
			}
			defer a.Close()
			stdinW.Write([]byte("early\n")) // before anything runs
			st, err := c.Start(ctx)
			if err != nil || st.State != monitor.StateRunning || st.Pid <= 0 {
				t.Fatalf("Start: %+v, %v; want running with a pid", st, err)
			}
			if st := e.wait(c); st.ExitCode != 0 {
				t.Errorf("exit code %d", st.ExitCode)
			}
			<-a.Done()
			if out.String() != "first\ngot early\n" || errb.String() != "second\n" {
				t.Errorf("attached stdout %q stderr %q", out.String(), errb.String())
			}
		})
	}
}

// TestCreateOnStartFailure: a program that cannot run fails the start
// request with a CreateError carrying 127, the state says exited with
// that code, no restart policy retries it, and the monitor ends.
func TestCreateOnStartFailure(t *testing.T) {
	for _, rt := range runtimes {
		t.Run(rt, func(t *testing.T) {
			e := newEnv(t, rt)
			cfg := e.config("")
			s := readSpec(t, cfg.Bundle)
			s.Process.Args = []string{"/no/such/program"}
			writeSpec(t, cfg.Bundle, s)
			cfg.Restart = monitor.RestartPolicy{Name: "always"}
			c := e.spawnDeferred(cfg)
			_, err := c.Start(context.Background())
			var ce *monitor.CreateError
			if !errorsAs(err, &ce) || ce.ExitCode != 127 {
				t.Fatalf("Start of a missing program: %v; want CreateError with exit code 127", err)
			}
			st := e.wait(c)
			if st.State != monitor.StateExited || st.ExitCode != 127 || st.RestartCount != 0 {
				t.Errorf("final status %+v; want exited 127 without restarts", st)
			}
			eventually(t, func() bool { return !monitor.Alive(e.dir) })
		})
	}
}

// TestCreateOnStartStop: a stop before the start request (the CLI gave
// up after spawning) ends the monitor without a runtime call to wait
// for; a later start is refused.
func TestCreateOnStartStop(t *testing.T) {
	e := newEnv(t, "cais-runtime")
	c := e.spawnDeferred(e.config("echo never"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := c.Stop(ctx, time.Second)
	if err != nil || st.State != monitor.StateExited || st.ExitCode != 137 {
		t.Fatalf("Stop before start: %+v, %v; want exited 137", st, err)
	}
	if _, err := c.Start(ctx); err == nil {
		t.Errorf("Start after the stop succeeded")
	}
	eventually(t, func() bool { return !monitor.Alive(e.dir) })
	if b, _ := os.ReadFile(filepath.Join(e.dir, "container.log")); len(b) != 0 {
		t.Errorf("log of a container that never ran: %q", b)
	}
}
