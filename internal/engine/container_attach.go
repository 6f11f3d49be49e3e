package engine

import (
	"context"
	"fmt"
	"io"
	"syscall"

	"github.com/cais-project/cais/internal/engine/monitor"
)

// AttachStreams are the caller's ends of an attach session. Stdin is sent
// only when the container keeps its stdin open (run -i); nil fields are
// left out. A tty container's output all goes to Stdout.
type AttachStreams struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// Attach connects streams to the container through its monitor. The
// session's Done reports when output ended (the container exited); Resize
// sets a tty container's window size.
func (e *Engine) Attach(ctx context.Context, c *Container, s AttachStreams) (*monitor.Attachment, error) {
	o := monitor.AttachOptions{Stdout: s.Stdout, Stderr: s.Stderr}
	if c.OpenStdin {
		o.Stdin = s.Stdin
	}
	a, err := monitor.Open(e.monitorDir(c.ID)).Attach(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("attaching to %s: %w", c.Name, err)
	}
	return a, nil
}

// SignalContainer sends sig to the container's init through its monitor,
// as a foreground run or attach does with the signals it receives.
func (e *Engine) SignalContainer(ctx context.Context, c *Container, sig syscall.Signal) error {
	if err := monitor.Open(e.monitorDir(c.ID)).Kill(ctx, sig); err != nil {
		return fmt.Errorf("signalling %s: %w", c.Name, err)
	}
	return nil
}
