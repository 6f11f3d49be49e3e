package client

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cais-project/cais/internal/engine"
	"github.com/cais-project/cais/internal/engine/monitor"
	"github.com/cais-project/cais/internal/errdefs"
)

// UnknownExitStatus is the exit code reported when it could not be learnt.
const UnknownExitStatus = 255

// ExitStatus is how a task's process ended.
type ExitStatus struct {
	code     uint32
	exitedAt time.Time
	err      error
}

// ExitCode is the process's exit code (128+n when signal n killed it);
// UnknownExitStatus when Error is set.
func (s ExitStatus) ExitCode() uint32 { return s.code }

// ExitTime is when the process exited.
func (s ExitStatus) ExitTime() time.Time { return s.exitedAt }

// Error says why the exit status could not be learnt.
func (s ExitStatus) Error() error { return s.err }

// Result returns the three at once.
func (s ExitStatus) Result() (uint32, time.Time, error) { return s.code, s.exitedAt, s.err }

func exitStatusOf(es engine.ExitStatus, err error) ExitStatus {
	if err != nil || es.Code < 0 {
		if err == nil {
			err = fmt.Errorf("exit code unknown: %w", errdefs.ErrUnavailable)
		}
		return ExitStatus{code: UnknownExitStatus, exitedAt: es.FinishedAt, err: err}
	}
	return ExitStatus{code: uint32(es.Code), exitedAt: es.FinishedAt}
}

// ProcessStatus is a task's state.
type ProcessStatus string

// Task states.
const (
	Created ProcessStatus = "created"
	Running ProcessStatus = "running"
	Stopped ProcessStatus = "stopped"
)

// Status is a task's state and, once Stopped, its exit.
type Status struct {
	Status     ProcessStatus
	ExitStatus uint32
	ExitTime   time.Time
}

// Task is a container's process.
type Task interface {
	// ID is the container's ID.
	ID() string
	// Pid is the host pid of the container's init.
	Pid() uint32
	// Start runs the process.
	Start(ctx context.Context) error
	// Wait returns a channel that receives the exit status once the
	// process exited and its output was copied to the caller's writers.
	// Call it before Start to be sure not to miss a quick exit's output.
	Wait(ctx context.Context) (<-chan ExitStatus, error)
	// Kill sends sig to the running process.
	Kill(ctx context.Context, sig syscall.Signal) error
	// Status reports the task's state.
	Status(ctx context.Context) (Status, error)
	// Delete removes the exited process from the runtime and returns its
	// exit status. The container stays; a new task can run it again.
	Delete(ctx context.Context) (*ExitStatus, error)
}

// NewTaskOpts configure NewTask.
type NewTaskOpts func(*taskOptions)

type taskOptions struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// WithStdio connects the task's stdin, stdout and stderr to the caller's
// reader and writers; any may be nil (a nil stdin is an empty one, a nil
// writer discards). The container's stdin closes at the reader's EOF.
func WithStdio(stdin io.Reader, stdout, stderr io.Writer) NewTaskOpts {
	return func(o *taskOptions) { o.stdin, o.stdout, o.stderr = stdin, stdout, stderr }
}

type task struct {
	ctr    *container
	pid    uint32
	attach *monitor.Attachment
	// drained is closed when the attach stream ended: all output copied.
	drained chan struct{}

	mu      sync.Mutex
	deleted bool
}

func (c *container) NewTask(ctx context.Context, opts ...NewTaskOpts) (Task, error) {
	var o taskOptions
	for _, opt := range opts {
		opt(&o)
	}
	eng := c.c.eng
	st, err := eng.State(ctx, c.rec)
	if err != nil {
		return nil, fmt.Errorf("container %s: %w", c.ID(), err)
	}
	switch st.State {
	case monitor.StateCreated:
	case monitor.StateExited:
		// A previous task ended: create the process again.
		if err := eng.RecreateContainer(ctx, c.rec); err != nil {
			return nil, fmt.Errorf("container %s: %w", c.ID(), err)
		}
	default:
		return nil, fmt.Errorf("container %s: a task is %s: %w", c.ID(), st.State, errdefs.ErrAlreadyExists)
	}
	stdin := o.stdin
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	a, err := eng.Attach(ctx, c.rec, engine.AttachStreams{Stdin: stdin, Stdout: o.stdout, Stderr: o.stderr})
	if err != nil {
		return nil, fmt.Errorf("container %s: %w", c.ID(), err)
	}
	pid, err := eng.ContainerPid(ctx, c.rec)
	if err != nil {
		a.Close()
		return nil, fmt.Errorf("container %s: %w", c.ID(), err)
	}
	t := &task{ctr: c, pid: uint32(pid), attach: a, drained: make(chan struct{})}
	go func() { <-a.Done(); close(t.drained) }() // Done yields once; Wait may be called often
	return t, nil
}

func (t *task) ID() string  { return t.ctr.ID() }
func (t *task) Pid() uint32 { return t.pid }

func (t *task) Start(ctx context.Context) error {
	if err := t.ctr.c.eng.StartContainer(ctx, t.ctr.rec); err != nil {
		return fmt.Errorf("starting %s: %w", t.ID(), err)
	}
	return nil
}

func (t *task) Wait(ctx context.Context) (<-chan ExitStatus, error) {
	ch := make(chan ExitStatus, 1)
	go func() {
		es := exitStatusOf(t.ctr.c.eng.WaitExitStatus(ctx, t.ctr.rec))
		// The monitor ends the attach session after the last output.
		select {
		case <-t.drained:
		case <-ctx.Done():
		}
		ch <- es
	}()
	return ch, nil
}

func (t *task) Kill(ctx context.Context, sig syscall.Signal) error {
	if err := t.ctr.c.eng.KillContainer(ctx, t.ctr.rec, sig); err != nil {
		return fmt.Errorf("killing %s: %w", t.ID(), err)
	}
	return nil
}

func (t *task) Status(ctx context.Context) (Status, error) {
	st, err := t.ctr.c.eng.State(ctx, t.ctr.rec)
	if err != nil {
		return Status{}, fmt.Errorf("task %s: %w", t.ID(), err)
	}
	switch st.State {
	case monitor.StateCreated:
		return Status{Status: Created}, nil
	case monitor.StateExited:
		es := exitStatusOf(engine.ExitStatus{Code: st.ExitCode, FinishedAt: st.FinishedAt}, nil)
		return Status{Status: Stopped, ExitStatus: es.code, ExitTime: st.FinishedAt}, nil
	}
	return Status{Status: Running}, nil
}

func (t *task) Delete(ctx context.Context) (*ExitStatus, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.deleted {
		return nil, fmt.Errorf("task %s: already deleted: %w", t.ID(), errdefs.ErrNotFound)
	}
	st, err := t.ctr.c.eng.State(ctx, t.ctr.rec)
	if err != nil {
		return nil, fmt.Errorf("task %s: %w", t.ID(), err)
	}
	if err := t.ctr.c.eng.DeleteTask(ctx, t.ctr.rec); err != nil {
		return nil, fmt.Errorf("task %s: %w", t.ID(), err)
	}
	t.attach.Close()
	t.deleted = true
	es := exitStatusOf(engine.ExitStatus{Code: st.ExitCode, FinishedAt: st.FinishedAt}, nil)
	return &es, nil
}
