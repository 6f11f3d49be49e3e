package cli

import (
	"errors"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	"github.com/cais-project/cais/internal/engine"
)

// execTerminal prepares `exec -t`: the process's terminal starts at the
// size of ours and follows it (SIGWINCH), and with -i our terminal is
// raw so every key reaches the process. The returned func undoes it.
// As Docker does, -i with -t needs stdin to be a terminal.
func execTerminal(g *globals, o *engine.ExecOptions, interactive bool) (func(), error) {
	var undo []func()
	restore := func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}
	in, inIsFile := g.stdin.(*os.File)
	if interactive && (!inIsFile || !term.IsTerminal(int(in.Fd()))) {
		return nil, errors.New("the input device is not a TTY")
	}
	fd, ok := terminalFd(g.stdin, g.stdout)
	if !ok {
		return restore, nil
	}
	if w, h, err := term.GetSize(fd); err == nil && w > 0 && h > 0 {
		o.ConsoleRows, o.ConsoleCols = uint16(h), uint16(w)
	}
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, syscall.SIGWINCH)
	undo = append(undo, func() { signal.Stop(winch); close(winch) })
	o.OnConsole = func(c *engine.ExecConsole) {
		resize := func() {
			if w, h, err := term.GetSize(fd); err == nil && w > 0 && h > 0 {
				c.Resize(uint16(h), uint16(w))
			}
		}
		resize() // the size may have changed since the start
		go func() {
			for range winch {
				resize()
			}
		}()
	}
	if interactive {
		old, err := term.MakeRaw(int(in.Fd()))
		if err == nil {
			undo = append(undo, func() { term.Restore(int(in.Fd()), old) })
		}
	}
	return restore, nil
}
