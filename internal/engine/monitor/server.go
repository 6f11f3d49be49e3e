package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/cais-project/cais/internal/engine/ocicli"
	"github.com/cais-project/cais/internal/errdefs"
)

// Run is the monitor: it creates the container described by cfg, reports
// on ready (one JSON line: {"pid":N} or {"error":"..."}, then closes it)
// and serves the container until the monitor is done with it. It returns
// when the container exited for good (and, with Remove, was deleted).
// The caller must be a process of its own: Run makes it the child
// subreaper and changes process-wide state.
func Run(ctx context.Context, cfg Config, ready io.WriteCloser) error {
	s, err := start(ctx, cfg)
	if err != nil {
		writeJSONLine(ready, map[string]string{"error": err.Error()})
		ready.Close()
		return err
	}
	writeJSONLine(ready, map[string]int{"pid": s.cur.pid})
	ready.Close()
	s.lifecycle(ctx)
	s.finish(ctx)
	return nil
}

// server is one monitor's state. mu guards status, cur and userStop.
type server struct {
	cfg      Config
	rt       ocicli.Runtime
	terminal bool
	log      *jsonLog
	hub      *hub
	ln       *net.UnixListener
	handlers sync.WaitGroup

	mu       sync.Mutex
	status   Status
	cur      *run
	userStop bool
	stopCh   chan struct{} // closed by the first stop request
	stopOnce sync.Once
	done     chan struct{} // closed when the monitor is done with the container

	claims       int           // removal claims held (claim.go)
	claimsClosed bool          // the exit came: no new claims
	claimGone    chan struct{} // a claim ended

	deleted   chan struct{} // closed when the claimed delete finished (claim_delete.go)
	deleteErr error
}

// run is one life of the container, from create to the init's exit.
type run struct {
	pid      int
	stdin    *os.File   // pipe write end or pty master; nil without stdin
	console  *os.File   // pty master in terminal mode
	outputs  []*os.File // what the copiers read
	copiers  sync.WaitGroup
	exited   chan struct{} // closed once code is set and output drained
	code     int
	startErr error
	started  time.Time
	stdinMu  sync.Mutex

	// launched: the runtime call that makes this run's container was
	// made (or the run was abandoned before it); guarded by server.mu.
	launched bool
	failed   bool      // that call failed: the container never ran
	prep     *prepared // stdio made ready, not yet handed to the runtime
	// ioReady is closed once stdin and console are set: at once for
	// pipes, when the runtime sends the pty master for a terminal.
	ioReady     chan struct{}
	ioOnce      sync.Once
	pendingSize *[2]uint16 // a resize before the pty came (stdinMu)
}

func start(ctx context.Context, cfg Config) (*server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := becomeSubreaper(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating monitor dir: %w", err)
	}
	var terminal bool
	var err error
	if cfg.Terminal != nil {
		terminal = *cfg.Terminal
	} else if terminal, err = bundleTerminal(cfg.Bundle); err != nil {
		return nil, err
	}
	s := &server{cfg: cfg, rt: cfg.Runtime, terminal: terminal, hub: newHub(), stopCh: make(chan struct{}), done: make(chan struct{}), claimGone: make(chan struct{}, 1)}
	s.status = Status{ID: cfg.ID, MonitorPid: os.Getpid(), ExitCode: -1}
	if err := writePidFile(cfg.Dir); err != nil {
		return nil, err
	}
	if s.log, err = openJSONLog(cfg.logPath(), cfg.LogMaxSize, cfg.LogMaxFiles); err != nil {
		return nil, err
	}
	os.Remove(cfg.socketPath())
	if s.ln, err = net.ListenUnix("unix", &net.UnixAddr{Name: cfg.socketPath(), Net: "unix"}); err != nil {
		return nil, fmt.Errorf("listening on monitor socket: %w", err)
	}
	s.removeStale(ctx)
	r, err := s.first(ctx)
	if err != nil {
		s.ln.Close()
		s.setFinal(func(st *Status) { st.State = StateExited; st.Error = err.Error(); st.ExitCode = exitCodeOf(err) })
		return nil, err
	}
	s.mu.Lock()
	s.cur = r
	s.status.State, s.status.Pid = StateCreated, r.pid
	if s.cfg.StartNow {
		s.status.State, s.status.StartedAt = StateRunning, r.started.UTC()
	}
	s.mu.Unlock()
	s.saveState()
	go s.serve()
	return s, nil
}

// exitCodeOf is the exit code a failed create or start stands for.
func exitCodeOf(err error) int {
	if c := ocicli.ExitCode(err); c != 0 {
		return c
	}
	return 128
}

// bundleTerminal reads process.terminal from the bundle's config.json.
func bundleTerminal(bundle string) (bool, error) {
	b, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		return false, fmt.Errorf("reading bundle: %w", err)
	}
	var spec struct {
		Process *struct {
			Terminal bool `json:"terminal"`
		} `json:"process"`
	}
	if err := json.Unmarshal(b, &spec); err != nil {
		return false, fmt.Errorf("decoding bundle config: %w: %w", err, errdefs.ErrInvalidArgument)
	}
	return spec.Process != nil && spec.Process.Terminal, nil
}

func writePidFile(dir string) error {
	st, err := startTime("/proc", os.Getpid())
	if err != nil {
		return fmt.Errorf("reading own start time: %w", err)
	}
	line := strconv.Itoa(os.Getpid()) + " " + strconv.FormatUint(st, 10) + "\n"
	if err := writeFileAtomic(filepath.Join(dir, pidName), []byte(line)); err != nil {
		return fmt.Errorf("writing monitor pid file: %w", err)
	}
	return nil
}

// removeStale deletes a stopped container of the same ID left by an
// earlier monitor, so create can reuse the ID. Runtimes with runc's command
// line keep a container's state in <root>/<id>: without that directory
// there is nothing to remove, and asking would start a runtime process on
// every container start.
func (s *server) removeStale(ctx context.Context) {
	if s.rt.Root != "" {
		if _, err := os.Lstat(filepath.Join(s.rt.Root, s.cfg.ID)); errors.Is(err, fs.ErrNotExist) {
			return
		}
	}
	st, err := s.rt.State(ctx, s.cfg.ID)
	if err == nil && st.Status == "stopped" {
		s.rt.Delete(ctx, s.cfg.ID, false)
	}
}

func (r *run) closeAll() {
	for _, f := range r.outputs {
		f.Close()
	}
	r.stdinMu.Lock()
	defer r.stdinMu.Unlock()
	if r.stdin != nil {
		r.stdin.Close()
		r.stdin = nil
	}
}

// copyOutput copies one stream into the log and to attached clients.
func (s *server) copyOutput(r *run, f *os.File, stream string) {
	defer r.copiers.Done()
	buf := make([]byte, 8<<10)
	for {
		n, err := f.Read(buf)
		if n > 0 {
			s.log.Write(stream, buf[:n])
			s.hub.broadcast(streamCode(stream), buf[:n])
		}
		if err != nil {
			// EOF, EIO from a pty without slaves, or the drain deadline.
			s.log.Flush(stream)
			return
		}
	}
}

func streamCode(stream string) byte {
	if stream == "stderr" {
		return streamStderr
	}
	return streamStdout
}

// reap waits for the init, then gives the output a moment to drain (every
// writer is gone once the pid namespace is, but a container sharing the
// host's may leave writers behind) and marks the run exited.
func (s *server) reap(r *run) {
	code := waitExit(r.pid)
	for _, f := range r.outputs {
		f.SetReadDeadline(time.Now().Add(time.Second))
	}
	r.copiers.Wait()
	r.closeAll()
	s.hub.closeAll()
	r.code = code
	if r.startErr != nil {
		r.code = exitCodeOf(r.startErr)
	}
	close(r.exited)
}

// startRun starts the created container of r; a run the monitor made no
// container for yet (Config.CreateOnStart) is created and started with
// one `runtime run --detach` (launch.go).
func (s *server) startRun(ctx context.Context, r *run) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur != r || s.status.State != StateCreated || r.launched && r.pid == 0 {
		return fmt.Errorf("container %s is %s, not created: %w", s.cfg.ID, s.status.State, errdefs.ErrConflict)
	}
	if !r.launched {
		return s.launchLocked(ctx, r)
	}
	if err := s.rt.Start(ctx, s.cfg.ID); err != nil {
		r.startErr = err
		s.rt.Kill(ctx, s.cfg.ID, syscall.SIGKILL, false)
		return err
	}
	s.markRunningLocked(ctx, r)
	return nil
}

// markRunningLocked records that r's process runs and starts its checks.
func (s *server) markRunningLocked(ctx context.Context, r *run) {
	r.started = time.Now()
	s.status.State, s.status.Pid, s.status.StartedAt = StateRunning, r.pid, r.started.UTC()
	s.saveStateLocked()
	s.startHealth(ctx, r)
}

// lifecycle runs the container through its exits and restarts until the
// monitor is done with it.
func (s *server) lifecycle(ctx context.Context) {
	r := s.cur
	if s.cfg.StartNow {
		s.startHealth(ctx, r) // `run --detach` started it in start
	}
	restarts, inARow := 0, 0
	for {
		<-r.exited
		s.mu.Lock()
		s.status.ExitCode, s.status.FinishedAt, s.status.Pid = r.code, time.Now().UTC(), 0
		userStop := s.userStop
		s.mu.Unlock()
		if r.failed || !s.cfg.Restart.shouldRestart(r.code, restarts, userStop) {
			return
		}
		s.setState(StateRestarting)
		if !r.started.IsZero() && time.Since(r.started) >= 10*time.Second {
			inARow = 0
		}
		select {
		case <-time.After(backoff(inARow)):
		case <-s.stopCh:
			return
		}
		inARow++
		s.rt.Delete(ctx, s.cfg.ID, true)
		next, err := s.create(ctx)
		s.mu.Lock()
		if err != nil {
			s.status.Error = "restarting: " + err.Error()
			s.mu.Unlock()
			return
		}
		restarts++
		s.cur, s.status.State, s.status.Pid, s.status.RestartCount = next, StateCreated, next.pid, restarts
		stopped := s.userStop
		s.mu.Unlock()
		r = next
		if stopped {
			// A stop came while creating: never start this one.
			s.rt.Kill(ctx, s.cfg.ID, syscall.SIGKILL, false)
			continue
		}
		s.startRun(ctx, r)
	}
}

// finish runs the --rm cleanup, records the final state, answers waiters
// and stops serving. When a removal claim is held at the exit, the
// claimant removes the container: the monitor reports the exit first and
// cleans up only if the claimant went away without removing it.
func (s *server) finish(ctx context.Context) {
	claimed := s.cfg.Remove && s.closeClaims()
	if s.cfg.Remove && !claimed {
		s.remove(ctx)
	}
	if claimed {
		s.deleteForClaimant(ctx)
	}
	s.setFinal(func(st *Status) {
		st.State = StateExited
		st.Removed = s.cfg.Remove && !claimed
	})
	close(s.done)
	if claimed {
		s.awaitClaims()
		s.waitDeleted()
		if !s.recordGone() {
			s.remove(ctx)
		}
	}
	s.ln.Close()
	s.handlers.Wait()
	os.Remove(s.cfg.socketPath())
	os.Remove(filepath.Join(s.cfg.Dir, pidName))
	os.Remove(filepath.Join(s.cfg.Dir, initPidName))
	s.log.Close()
}

// remove is the --rm cleanup: delete the container in the runtime, then
// run the engine's cleanup command.
func (s *server) remove(ctx context.Context) {
	s.rt.Delete(ctx, s.cfg.ID, true)
	if len(s.cfg.Cleanup) > 0 {
		if err := runCleanup(ctx, s.cfg); err != nil {
			s.mu.Lock()
			s.status.Error = err.Error()
			s.mu.Unlock()
		}
	}
}

func (s *server) setState(state string) {
	s.mu.Lock()
	s.status.State = state
	s.saveStateLocked()
	s.mu.Unlock()
}

func (s *server) setFinal(edit func(*Status)) {
	s.mu.Lock()
	edit(&s.status)
	s.saveStateLocked()
	s.mu.Unlock()
}

func (s *server) saveState() {
	s.mu.Lock()
	s.saveStateLocked()
	s.mu.Unlock()
}

// saveStateLocked writes state.json; a failure is recorded in the
// monitor's own log (its stderr), as there is no caller to return it to.
func (s *server) saveStateLocked() {
	b, _ := json.Marshal(s.status)
	if err := writeFileAtomic(filepath.Join(s.cfg.Dir, stateName), b); err != nil {
		fmt.Fprintf(os.Stderr, "cais-monitor %s: writing state: %v\n", s.cfg.ID, err)
	}
}

func (s *server) snapshot() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// requestStop marks the stop as the user's and wakes a restart back-off.
func (s *server) requestStop() {
	s.mu.Lock()
	s.userStop, s.status.UserStopped = true, true
	s.mu.Unlock()
	s.stopOnce.Do(func() { close(s.stopCh) })
}

// stop is the stop request: sig (SIGTERM when 0), SIGKILL to every
// process after timeout, then the final status once the monitor is done.
func (s *server) stop(ctx context.Context, sig syscall.Signal, timeout time.Duration) Status {
	s.requestStop()
	s.mu.Lock()
	r, state := s.cur, s.status.State
	if state == StateCreated && s.abandonLocked(r) {
		state = "" // no container was made: nothing to kill
	}
	s.mu.Unlock()
	if state == StateRunning || state == StateCreated {
		if sig == 0 {
			sig = syscall.SIGTERM
		}
		if state == StateCreated {
			sig = syscall.SIGKILL // nothing runs yet to shut down cleanly
		}
		s.rt.Kill(ctx, s.cfg.ID, sig, false)
		select {
		case <-r.exited:
		case <-time.After(timeout):
			s.rt.Kill(ctx, s.cfg.ID, syscall.SIGKILL, true)
		}
	}
	select {
	case <-s.done:
	case <-ctx.Done():
	}
	return s.snapshot()
}

func (s *server) writeStdin(p []byte) error {
	s.mu.Lock()
	r := s.cur
	s.mu.Unlock()
	<-r.ioReady // a pty made at the start request: write once it is there
	r.stdinMu.Lock()
	defer r.stdinMu.Unlock()
	if r.stdin == nil {
		return io.ErrClosedPipe
	}
	_, err := r.stdin.Write(p)
	return err
}

// closeStdin closes the container's stdin pipe (a pty stays open: its
// master is the output too; EOF there is the client's ^D).
func (s *server) closeStdin() {
	s.mu.Lock()
	r := s.cur
	s.mu.Unlock()
	r.stdinMu.Lock()
	defer r.stdinMu.Unlock()
	if r.stdin != nil && r.console == nil {
		r.stdin.Close()
		r.stdin = nil
	}
}

func (s *server) resize(rows, cols uint16) error {
	s.mu.Lock()
	r := s.cur
	s.mu.Unlock()
	r.stdinMu.Lock()
	defer r.stdinMu.Unlock()
	if r.console == nil && s.terminal {
		// Before the start request made the pty: applied when it comes,
		// before the container's program runs.
		r.pendingSize = &[2]uint16{rows, cols}
		return nil
	}
	if r.console == nil {
		return fmt.Errorf("container %s has no terminal: %w", s.cfg.ID, errdefs.ErrInvalidArgument)
	}
	return resize(r.console, rows, cols)
}
