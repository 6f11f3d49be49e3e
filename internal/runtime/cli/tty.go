package cli

import (
	"io"
	"os"
	"os/signal"
	"path/filepath"

	"golang.org/x/sys/unix"
	"golang.org/x/term"

	"github.com/cais-project/cais/internal/runtime/console"
)

// ttyProxy gives a foreground `run` or `exec` with a terminal and no
// --console-socket a terminal of its own, as runc does: it receives the pty
// master on a private socket and copies between it and this process's stdio.
type ttyProxy struct {
	dir    string
	l      *os.File // the listening socket
	master chan *os.File
	err    chan error
	// outDone is closed when everything the container wrote was copied.
	outDone chan struct{}
	restore func()
}

func newTTYProxy() (*ttyProxy, error) {
	dir, err := os.MkdirTemp("", "cais-runtime-tty")
	if err != nil {
		return nil, err
	}
	l, err := console.Listen(filepath.Join(dir, "console.sock"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	p := &ttyProxy{dir: dir, l: l, master: make(chan *os.File, 1), err: make(chan error, 1), outDone: make(chan struct{}), restore: func() {}}
	go func() {
		m, err := console.ReceiveMaster(l)
		if err != nil {
			p.err <- err
			return
		}
		p.master <- m
	}()
	return p, nil
}

func (p *ttyProxy) socketPath() string { return filepath.Join(p.dir, "console.sock") }

// start begins copying once the container has sent its master (call after
// the container was created, so the master is there).
func (p *ttyProxy) start() error {
	var m *os.File
	select {
	case m = <-p.master:
	case err := <-p.err:
		return err
	}
	if term.IsTerminal(int(os.Stdin.Fd())) {
		if st, err := term.MakeRaw(int(os.Stdin.Fd())); err == nil {
			p.restore = func() { term.Restore(int(os.Stdin.Fd()), st) }
		}
		resize := func() {
			if ws, err := console.Size(os.Stdin); err == nil {
				console.SetSize(m, ws)
			}
		}
		resize()
		winch := make(chan os.Signal, 1)
		signal.Notify(winch, unix.SIGWINCH)
		go func() {
			for range winch {
				resize()
			}
		}()
	}
	go io.Copy(m, os.Stdin)
	go func() {
		io.Copy(os.Stdout, m) // ends with EIO when the last slave closes
		close(p.outDone)
	}()
	return nil
}

// finish waits for the container's output to drain and restores the
// terminal.
func (p *ttyProxy) finish() {
	<-p.outDone
	p.close()
}

func (p *ttyProxy) close() {
	p.restore()
	p.l.Close()
	os.RemoveAll(p.dir)
}
