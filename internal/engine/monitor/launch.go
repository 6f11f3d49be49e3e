package monitor

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cais-project/cais/internal/engine/ocicli"
)

// How a run gets its container. The runtime is asked once per run:
//
//   - `create` at spawn (the default, `cais create`), then `start` on the
//     start request, or a restart policy's create then start;
//   - `run --detach` at spawn with Config.StartNow (`cais run -d`);
//   - `run --detach` on the start request with Config.CreateOnStart
//     (foreground `cais run`): the monitor makes the stdio at spawn, so a
//     client attaches (and takes the removal claim) before anything runs,
//     and create-time failures (command not found, 127) come back as the
//     start request's error, with the state saying exited.
//
// Either way `run --detach` saves the runtime process that `start` was.

// prepared is a run's stdio made ready and not yet handed to the runtime.
type prepared struct {
	opts       ocicli.CreateOpts
	closeAfter []*os.File        // our copies of the container's ends
	console    *net.UnixListener // the console socket, for a terminal
}

func newRun() *run { return &run{exited: make(chan struct{}), ioReady: make(chan struct{})} }

// readyIO marks r's stdin and console as set (or as never coming).
func (r *run) readyIO() { r.ioOnce.Do(func() { close(r.ioReady) }) }

// create makes a new container from the bundle with fresh stdio, and
// starts reaping its init and copying its output (restarts).
func (s *server) create(ctx context.Context) (*run, error) {
	r := newRun()
	if err := s.prepare(r); err != nil {
		return nil, err
	}
	r.launched = true
	return r, s.execute(ctx, r, false)
}

// first is the run start() begins with: created (or, with StartNow, run)
// now, or with CreateOnStart only prepared until the start request.
func (s *server) first(ctx context.Context) (*run, error) {
	r := newRun()
	if err := s.prepare(r); err != nil {
		return nil, err
	}
	if s.cfg.CreateOnStart {
		return r, nil
	}
	r.launched = true
	if err := s.execute(ctx, r, s.cfg.StartNow); err != nil {
		return nil, err
	}
	if s.cfg.StartNow {
		r.started = time.Now()
	}
	return r, nil
}

// launchLocked makes and starts r's container with one `run --detach`
// (the start request with CreateOnStart). A failure ends the run: it is
// recorded as the exit (126/127 for a program that cannot run, else 128)
// and no restart policy applies.
func (s *server) launchLocked(ctx context.Context, r *run) error {
	r.launched = true
	if err := s.execute(ctx, r, true); err != nil {
		r.startErr, r.failed, r.code = err, true, exitCodeOf(err)
		s.status.State, s.status.Error, s.status.ExitCode = StateExited, err.Error(), r.code
		s.saveStateLocked()
		s.hub.closeAll()
		close(r.exited)
		return err
	}
	s.markRunningLocked(ctx, r)
	return nil
}

// abandonLocked ends a run whose container was never made (a stop before
// the start request) as if its init was killed. It reports whether r was
// such a run.
func (s *server) abandonLocked(r *run) bool {
	if r.launched {
		return false
	}
	r.launched, r.failed, r.code = true, true, 128+int(syscall.SIGKILL)
	r.prep.release()
	r.prep = nil
	r.closeAll()
	r.readyIO()
	s.hub.closeAll()
	close(r.exited)
	return true
}

// prepare makes r's stdio: pipes, or for a terminal the console socket
// the runtime sends the pty master to.
func (s *server) prepare(r *run) error {
	p := &prepared{opts: ocicli.CreateOpts{PidFile: filepath.Join(s.cfg.Dir, initPidName)}}
	os.Remove(p.opts.PidFile)
	if s.terminal {
		sock := filepath.Join(s.cfg.Dir, consoleName)
		os.Remove(sock)
		l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
		if err != nil {
			return fmt.Errorf("listening on console socket: %w", err)
		}
		p.console, p.opts.ConsoleSocket = l, sock
		r.prep = p
		return nil
	}
	stdio := &ocicli.IO{}
	if s.cfg.Stdin {
		pr, pw, err := os.Pipe()
		if err != nil {
			return err
		}
		stdio.Stdin, r.stdin = pr, pw
		p.closeAfter = append(p.closeAfter, pr)
	}
	for _, dst := range []**os.File{&stdio.Stdout, &stdio.Stderr} {
		pr, pw, err := os.Pipe()
		if err != nil {
			p.release()
			r.closeAll()
			return err
		}
		*dst = pw
		r.outputs = append(r.outputs, pr)
		p.closeAfter = append(p.closeAfter, pw)
	}
	p.opts.IO = stdio
	r.prep = p
	r.readyIO()
	return nil
}

// release closes what prepare made that the runtime did not keep.
func (p *prepared) release() {
	if p == nil {
		return
	}
	for _, f := range p.closeAfter {
		f.Close()
	}
	p.closeAfter = nil
	if p.console != nil {
		p.console.Close()
		os.Remove(p.opts.ConsoleSocket)
		p.console = nil
	}
}

// execute hands r's prepared stdio to the runtime: `create`, or with
// runNow `run --detach`; then it reads the init's pid and starts reaping
// it and copying its output.
func (s *server) execute(ctx context.Context, r *run, runNow bool) error {
	p := r.prep
	r.prep = nil
	var pty chan ptyResult
	if p.console != nil {
		pty = make(chan ptyResult, 1)
		l := p.console
		go func() {
			f, err := receivePty(l)
			if err == nil {
				r.setConsole(f)
			}
			pty <- ptyResult{f, err}
		}()
	}
	call := s.rt.Create
	if runNow {
		call = s.rt.Run
	}
	err := call(ctx, s.cfg.ID, s.cfg.Bundle, p.opts)
	for _, f := range p.closeAfter {
		f.Close()
	}
	p.closeAfter = nil
	if err != nil {
		p.release() // ends a pty wait that never got one
		if pty != nil {
			<-pty
		}
		r.closeAll()
		r.readyIO()
		return err
	}
	if pty != nil {
		res := <-pty
		p.release()
		if res.err != nil {
			s.rt.Delete(ctx, s.cfg.ID, true)
			r.readyIO()
			return res.err
		}
	}
	b, err := os.ReadFile(p.opts.PidFile)
	if err == nil {
		r.pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	if err != nil {
		r.closeAll()
		s.rt.Delete(ctx, s.cfg.ID, true)
		return fmt.Errorf("reading init pid: %w", err)
	}
	streams := []string{"stdout", "stderr"}
	for i, f := range r.outputs {
		r.copiers.Add(1)
		go s.copyOutput(r, f, streams[i])
	}
	go s.reap(r)
	return nil
}

// setConsole takes the pty master the runtime sent; a resize that came
// before it is applied now, before the runtime lets the program run.
func (r *run) setConsole(f *os.File) {
	r.stdinMu.Lock()
	r.console, r.stdin = f, f
	r.outputs = []*os.File{f}
	if sz := r.pendingSize; sz != nil {
		resize(f, sz[0], sz[1])
	}
	r.stdinMu.Unlock()
	r.readyIO()
}

type ptyResult struct {
	f   *os.File
	err error
}
