package monitor_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/google/go-cmp/cmp"

	"github.com/cais-project/cais/internal/engine/monitor"
)

type logLine struct {
	Log, Stream, Time string
}

func readJSONLog(t *testing.T, path string) []logLine {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []logLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l logLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		if _, err := time.Parse(time.RFC3339Nano, l.Time); err != nil {
			t.Errorf("log time %q: %v", l.Time, err)
		}
		out = append(out, l)
	}
	return out
}

func TestLogAndExitCode(t *testing.T) {
	for _, rt := range runtimes {
		t.Run(rt, func(t *testing.T) {
			e := newEnv(t, rt)
			cfg := e.config("echo out1; echo err1 >&2; echo out2; exit 3")
			cfg.StartNow = true
			before := time.Now()
			st := e.wait(e.spawn(cfg))
			if st.State != monitor.StateExited || st.ExitCode != 3 || st.FinishedAt.Before(before) || st.FinishedAt.Before(st.StartedAt) {
				t.Errorf("final status %+v: want exited with code 3, finished after start", st)
			}
			saved, err := monitor.ReadState(e.dir)
			if err != nil || saved.ExitCode != 3 || !saved.FinishedAt.Equal(st.FinishedAt) {
				t.Errorf("state.json %+v, %v; want the same exit", saved, err)
			}
			var got []logLine
			for _, l := range readJSONLog(t, filepath.Join(e.dir, "container.log")) {
				got = append(got, logLine{Log: l.Log, Stream: l.Stream})
			}
			// stdout and stderr are separate pipes: only the order within
			// a stream is defined.
			byStream := map[string][]string{}
			for _, l := range got {
				byStream[l.Stream] = append(byStream[l.Stream], l.Log)
			}
			want := map[string][]string{"stdout": {"out1\n", "out2\n"}, "stderr": {"err1\n"}}
			if diff := cmp.Diff(want, byStream); diff != "" {
				t.Errorf("log by stream (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLogRotation(t *testing.T) {
	e := newEnv(t, "cais-runtime")
	cfg := e.config("i=0; while [ $i -lt 300 ]; do echo line $i; i=$((i+1)); done")
	cfg.StartNow, cfg.LogMaxSize, cfg.LogMaxFiles = true, 1000, 3
	cfg.LogPath = filepath.Join(e.dir, "logs", "c.log")
	os.MkdirAll(filepath.Dir(cfg.LogPath), 0o700)
	e.wait(e.spawn(cfg))
	entries, _ := os.ReadDir(filepath.Dir(cfg.LogPath))
	var names []string
	for _, de := range entries {
		names = append(names, de.Name())
		fi, _ := de.Info()
		if fi.Size() > 1000 {
			t.Errorf("%s: %d bytes, over max-size", de.Name(), fi.Size())
		}
	}
	if diff := cmp.Diff([]string{"c.log", "c.log.1", "c.log.2"}, names); diff != "" {
		t.Errorf("log files (-want +got):\n%s", diff)
	}
	last := readJSONLog(t, cfg.LogPath)
	if n := len(last); n == 0 || last[n-1].Log != "line 299\n" {
		t.Errorf("live log ends with %v; want line 299", last)
	}
}

// syncBuffer is a bytes.Buffer safe for the attach goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestAttachStdin(t *testing.T) {
	for _, rt := range runtimes {
		t.Run(rt, func(t *testing.T) {
			e := newEnv(t, rt)
			cfg := e.config("echo ready >&2; cat; echo done")
			cfg.Stdin = true
			c := e.spawn(cfg)
			ctx := context.Background()
			var out, errb syncBuffer
			stdinR, stdinW := io.Pipe()
			a, err := c.Attach(ctx, monitor.AttachOptions{Stdin: stdinR, Stdout: &out, Stderr: &errb})
			if err != nil {
				t.Fatalf("Attach: %v", err)
			}
			defer a.Close()
			if st, err := c.Start(ctx); err != nil || st.State != monitor.StateRunning {
				t.Fatalf("Start: %+v, %v", st, err)
			}
			eventually(t, func() bool { return errb.String() == "ready\n" })
			stdinW.Write([]byte("hello\n"))
			eventually(t, func() bool { return out.String() == "hello\n" })
			stdinW.Close() // EOF ends cat
			if st := e.wait(c); st.ExitCode != 0 {
				t.Errorf("exit code %d", st.ExitCode)
			}
			<-a.Done()
			if got := out.String(); got != "hello\ndone\n" {
				t.Errorf("attached stdout %q", got)
			}
		})
	}
}

func TestTerminal(t *testing.T) {
	for _, rt := range runtimes {
		t.Run(rt, func(t *testing.T) {
			e := newEnv(t, rt)
			cfg := e.config("read x; stty size; echo got $x", func(s *specs.Spec) { s.Process.Terminal = true })
			cfg.Stdin = true
			c := e.spawn(cfg)
			ctx := context.Background()
			var out syncBuffer
			stdinR, stdinW := io.Pipe()
			defer stdinW.Close()
			a, err := c.Attach(ctx, monitor.AttachOptions{Stdin: stdinR, Stdout: &out})
			if err != nil {
				t.Fatalf("Attach: %v", err)
			}
			defer a.Close()
			if err := a.Resize(33, 77); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Start(ctx); err != nil {
				t.Fatalf("Start: %v", err)
			}
			stdinW.Write([]byte("go\n"))
			st := e.wait(c)
			<-a.Done()
			got := strings.ReplaceAll(out.String(), "\r", "")
			if st.ExitCode != 0 || !strings.Contains(got, "33 77\n") || !strings.Contains(got, "got go\n") {
				t.Errorf("exit %d, tty output %q; want stty size 33 77 and got go", st.ExitCode, got)
			}
			logged := ""
			for _, l := range readJSONLog(t, filepath.Join(e.dir, "container.log")) {
				if l.Stream != "stdout" {
					t.Errorf("tty log entry on %s", l.Stream)
				}
				logged += l.Log
			}
			if !strings.Contains(strings.ReplaceAll(logged, "\r", ""), "33 77\n") {
				t.Errorf("log %q lacks the tty output", logged)
			}
		})
	}
}

func TestRemove(t *testing.T) {
	for _, rt := range runtimes {
		t.Run(rt, func(t *testing.T) {
			e := newEnv(t, rt)
			cfg := e.config("exit 0")
			marker := filepath.Join(e.dir, "cleaned")
			cfg.StartNow, cfg.Remove = true, true
			cfg.Cleanup = []string{"/bin/sh", "-c", `echo "$CAIS_CONTAINER_ID" > ` + marker}
			st := e.wait(e.spawn(cfg))
			if !st.Removed || st.Error != "" {
				t.Errorf("final status %+v; want removed without error", st)
			}
			if l, err := e.rt.List(context.Background()); err != nil || len(l) != 0 {
				t.Errorf("runtime list after --rm: %v, %v; want empty", l, err)
			}
			if b, _ := os.ReadFile(marker); string(b) != e.name+"\n" {
				t.Errorf("cleanup command wrote %q, want the container ID", b)
			}
		})
	}
}

func TestRestartOnFailure(t *testing.T) {
	for _, rt := range runtimes {
		t.Run(rt, func(t *testing.T) {
			e := newEnv(t, rt)
			host := t.TempDir()
			cfg := e.config("echo run >> /host/runs; exit 7", hostDir(t, host))
			cfg.StartNow = true
			cfg.Restart, _ = monitor.ParseRestartPolicy("on-failure:2")
			st := e.wait(e.spawn(cfg))
			if st.RestartCount != 2 || st.ExitCode != 7 {
				t.Errorf("final status %+v; want 2 restarts, exit 7", st)
			}
			if n := lines(t, filepath.Join(host, "runs")); n != 3 {
				t.Errorf("container ran %d times, want 3", n)
			}
		})
	}
}

func TestAlwaysThenStop(t *testing.T) {
	e := newEnv(t, "cais-runtime")
	host := t.TempDir()
	runs := filepath.Join(host, "runs")
	// The first run exits 0 (always restarts it), the second stays up.
	cfg := e.config(`echo run >> /host/runs; [ "$(wc -l < /host/runs)" -ge 2 ] && exec sleep 1000; exit 0`, hostDir(t, host))
	cfg.StartNow = true
	cfg.Restart, _ = monitor.ParseRestartPolicy("always")
	c := e.spawn(cfg)
	ctx := context.Background()
	eventually(t, func() bool {
		st, _ := c.Status(ctx)
		return lines(t, runs) == 2 && st.State == monitor.StateRunning
	})
	st, err := c.Stop(ctx, 200*time.Millisecond)
	if err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if st.State != monitor.StateExited || st.RestartCount != 1 || !st.UserStopped || st.ExitCode != 128+int(syscall.SIGKILL) {
		t.Errorf("status after stop %+v; want exited by SIGKILL after 1 restart, user-stopped", st)
	}
	if n := lines(t, runs); n != 2 {
		t.Errorf("container ran %d times, want 2", n)
	}
	if _, err := c.Wait(ctx); err != nil {
		t.Errorf("Wait after the monitor ended: %v", err)
	}
}

func TestMonitorKilled(t *testing.T) {
	for _, rt := range runtimes {
		t.Run(rt, func(t *testing.T) {
			e := newEnv(t, rt)
			cfg := e.config("exec sleep 1000")
			cfg.StartNow = true
			c := e.spawn(cfg)
			ctx := context.Background()
			st, err := c.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			// The monitor leads a session of its own (no terminal signal
			// of the spawner's reaches it). Spawn starts it without a
			// double fork, so it is the spawner's child until the spawner
			// exits (the CLI tests kill the spawner and see it go on).
			stat, _ := os.ReadFile("/proc/" + strconv.Itoa(st.MonitorPid) + "/stat")
			f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
			if f[3] != strconv.Itoa(st.MonitorPid) {
				t.Errorf("monitor session %s; want its own (%d)", f[3], st.MonitorPid)
			}
			if _, err := monitor.Recover(ctx, e.rt, e.dir, e.name); err == nil {
				t.Error("Recover while the monitor lives: no error")
			}
			syscall.Kill(st.MonitorPid, syscall.SIGKILL)
			eventually(t, func() bool { return !monitor.Alive(e.dir) })
			rec, err := monitor.Recover(ctx, e.rt, e.dir, e.name)
			if err != nil || rec.State != monitor.RecoveredRunning || rec.Pid != st.Pid {
				t.Fatalf("Recover = %+v, %v; want running with pid %d", rec, err, st.Pid)
			}
			if _, err := os.Stat(filepath.Join(e.dir, "monitor.sock")); !os.IsNotExist(err) {
				t.Errorf("monitor socket left: %v", err)
			}
			if _, err := c.Status(ctx); err != nil {
				t.Errorf("Status from state.json after the monitor died: %v", err)
			}
			if err := e.rt.Kill(ctx, e.name, syscall.SIGKILL, false); err != nil {
				t.Fatal(err)
			}
			eventually(t, func() bool { s, _ := e.rt.State(ctx, e.name); return s.Status == "stopped" })
			if rec, err := monitor.Recover(ctx, e.rt, e.dir, e.name); err != nil || rec.State != monitor.RecoveredExited || rec.ExitCode != -1 {
				t.Errorf("Recover after kill = %+v, %v; want exited, code unknown", rec, err)
			}
			if err := e.rt.Delete(ctx, e.name, true); err != nil {
				t.Fatal(err)
			}
			if rec, err := monitor.Recover(ctx, e.rt, e.dir, e.name); err != nil || rec.State != monitor.RecoveredGone {
				t.Errorf("Recover after delete = %+v, %v; want gone", rec, err)
			}
		})
	}
}

func TestCreateFailure(t *testing.T) {
	e := newEnv(t, "cais-runtime")
	cfg := e.config("")
	s := readSpec(t, cfg.Bundle)
	s.Process.Args = []string{"/no/such/program"}
	writeSpec(t, cfg.Bundle, s)
	_, _, err := monitor.Spawn(context.Background(), e.bin, cfg)
	var ce *monitor.CreateError
	if !errorsAs(err, &ce) || ce.ExitCode != 127 {
		t.Errorf("Spawn of a missing program: %v; want CreateError with exit code 127", err)
	}
}
