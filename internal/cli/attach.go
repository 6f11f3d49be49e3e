package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/cais-project/cais/internal/engine"
	"github.com/cais-project/cais/internal/engine/monitor"
)

// proxiedSignals are what a foreground run or attach passes on to the
// container (Docker's --sig-proxy covers these and more).
var proxiedSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2}

// session is the CLI's side of an attach: its stdio joined to the
// container's, its terminal raw and its window size followed when the
// container has a tty, and its signals forwarded.
type session struct {
	a       *monitor.Attachment
	restore func()
}

// attachSession attaches g's stdio to ctr; with sigProxy the signals in
// proxiedSignals go to the container until close. ctx must not be
// cancelled by those signals (the caller passes a WithoutCancel one).
func attachSession(ctx context.Context, g *globals, e *engine.Engine, ctr *engine.Container, withStdin, sigProxy bool) (*session, error) {
	streams := engine.AttachStreams{Stdout: g.stdout, Stderr: g.stderr}
	if withStdin {
		streams.Stdin = g.stdin
	}
	a, err := e.Attach(ctx, ctr, streams)
	if err != nil {
		return nil, err
	}
	s := &session{a: a, restore: func() {}}
	var undo []func()
	s.restore = func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
		undo = nil
	}
	if ctr.Tty {
		if fd, ok := terminalFd(g.stdout, g.stdin); ok {
			resize := func() {
				if w, h, err := term.GetSize(fd); err == nil && w > 0 && h > 0 {
					a.Resize(uint16(h), uint16(w))
				}
			}
			resize()
			winch := make(chan os.Signal, 1)
			signal.Notify(winch, syscall.SIGWINCH)
			go func() {
				for range winch {
					resize()
				}
			}()
			undo = append(undo, func() { signal.Stop(winch); close(winch) })
		}
		if f, ok := g.stdin.(*os.File); ok && withStdin && ctr.OpenStdin && term.IsTerminal(int(f.Fd())) {
			old, err := term.MakeRaw(int(f.Fd()))
			if err == nil {
				undo = append(undo, func() { term.Restore(int(f.Fd()), old) })
			}
		}
	}
	if sigProxy {
		sigs := make(chan os.Signal, 8)
		signal.Notify(sigs, proxiedSignals...)
		go func() {
			for sig := range sigs {
				if err := e.SignalContainer(ctx, ctr, sig.(syscall.Signal)); err != nil {
					fmt.Fprintf(g.stderr, "cais: forwarding %v: %v\n", sig, err)
				}
			}
		}()
		undo = append(undo, func() { signal.Stop(sigs); close(sigs) })
	}
	return s, nil
}

// close restores the terminal and stops forwarding signals.
func (s *session) close() {
	s.restore()
	s.a.Close()
}

// terminalFd is the first of ws that is a terminal.
func terminalFd(ws ...any) (int, bool) {
	for _, w := range ws {
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			return int(f.Fd()), true
		}
	}
	return 0, false
}

func attachCmd(g *globals) *cobra.Command {
	var noStdin, sigProxy bool
	c := &cobra.Command{
		Use:   "attach [OPTIONS] CONTAINER",
		Short: "Attach the terminal's stdio to a running container",
		Args:  exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			ctx := context.WithoutCancel(c.Context()) // the signals go to the container
			e, err := g.engine(ctx)
			if err != nil {
				return err
			}
			ctr, err := e.FindContainer(ctx, args[0])
			if err != nil {
				return err
			}
			s, err := attachSession(ctx, g, e, ctr, !noStdin, sigProxy)
			if err != nil {
				return err
			}
			<-s.a.Done()
			s.close()
			code, err := e.WaitContainer(ctx, ctr)
			if err != nil {
				return fmt.Errorf("waiting for %s: %w", ctr.Name, err)
			}
			if code != 0 {
				return exitError{code}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&noStdin, "no-stdin", false, "do not attach stdin")
	c.Flags().BoolVar(&sigProxy, "sig-proxy", true, "send the signals the command receives to the container")
	return c
}
