package engine

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/engine/monitor"
	"github.com/cais-project/cais/internal/engine/ocicli"
)

// ExecConsole is the terminal of a process ExecContainer runs with Tty.
type ExecConsole struct{ master *os.File }

// Resize sets the terminal's window size; the process gets SIGWINCH.
func (c *ExecConsole) Resize(rows, cols uint16) error {
	return monitor.ResizeConsole(c.master, rows, cols)
}

// ttyDrain is how long output is still read after the process exited,
// for a process it left behind that keeps the terminal open.
const ttyDrain = time.Second

// execTTY runs p with a terminal: the runtime sends the pty master to a
// console socket of ours, and o.Stdin (when set) is copied to it and its
// output to o.Stdout until the terminal hangs up.
func (e *Engine) execTTY(ctx context.Context, c *Container, p specs.Process, o ExecOptions) error {
	dir, err := os.MkdirTemp("", "cais-exec-")
	if err != nil {
		return fmt.Errorf("exec console: %w", err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "console.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		return fmt.Errorf("exec console: %w", err)
	}
	defer l.Close()

	p.Terminal = true
	if o.ConsoleRows > 0 && o.ConsoleCols > 0 {
		p.ConsoleSize = &specs.Box{Height: uint(o.ConsoleRows), Width: uint(o.ConsoleCols)}
	}
	received := make(chan *os.File, 1) // the master, nil if none came
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		master, err := monitor.ReceiveConsole(l)
		if err != nil {
			received <- nil
			return
		}
		received <- master
		if o.OnConsole != nil {
			o.OnConsole(&ExecConsole{master: master})
		}
		if o.Stdin != nil {
			go io.Copy(master, o.Stdin)
		}
		out := io.Writer(io.Discard)
		if o.Stdout != nil {
			out = o.Stdout
		}
		// Ends with EIO once no process has the terminal open, or at the
		// drain deadline.
		io.Copy(out, master)
	}()

	err = c.runtime().Exec(ctx, c.ID, p, ocicli.ExecOpts{ConsoleSocket: sock, IO: &ocicli.IO{}})
	l.Close() // a runtime that failed early never connected
	if master := <-received; master != nil {
		master.SetReadDeadline(time.Now().Add(ttyDrain))
		<-copied
		master.Close()
	}
	return err
}
