package monitor

import (
	"net"
	"os"
)

// ReceiveConsole accepts one connection on l, a socket given to a runtime
// as --console-socket, and returns the pty master it sends (runc's
// protocol: one SCM_RIGHTS message). The file is non-blocking, so reads
// honour deadlines. The engine uses it for `exec -t`, which has no
// monitor.
func ReceiveConsole(l *net.UnixListener) (*os.File, error) { return receivePty(l) }

// ResizeConsole sets the window size of the pty behind master.
func ResizeConsole(master *os.File, rows, cols uint16) error { return resize(master, rows, cols) }
