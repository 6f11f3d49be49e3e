package console

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/errdefs"
)

// maxNameLen bounds the name sent with the master; runc's receivers read
// at most 4096 bytes of it.
const maxNameLen = 4096

// SendMaster sends master over socket, a connected unix socket (the
// --console-socket the caller dialled), the way runc does: one message
// whose data is master's file name and whose SCM_RIGHTS control message
// holds the fd. The caller may close master afterwards; the receiver holds
// its own copy.
func SendMaster(socket *os.File, master *os.File) error {
	name := master.Name()
	if len(name) >= maxNameLen {
		return fmt.Errorf("sending pty master: name is %d bytes, limit %d: %w", len(name), maxNameLen, errdefs.ErrInvalidArgument)
	}
	mconn, err := master.SyscallConn()
	if err != nil {
		return fmt.Errorf("sending pty master: %w", err)
	}
	sconn, err := socket.SyscallConn()
	if err != nil {
		return fmt.Errorf("sending pty master: %w", err)
	}
	var sendErr, pollErr error
	ctlErr := mconn.Control(func(mfd uintptr) {
		rights := unix.UnixRights(int(mfd))
		pollErr = sconn.Write(func(sfd uintptr) bool {
			sendErr = unix.Sendmsg(int(sfd), []byte(name), rights, nil, 0)
			// On EAGAIN, wait until the socket is writable and retry.
			return !errors.Is(sendErr, unix.EAGAIN)
		})
	})
	if err := errors.Join(ctlErr, pollErr, sendErr); err != nil {
		return fmt.Errorf("sending pty master to %s: %w", socket.Name(), err)
	}
	return nil
}

// Listen makes a unix stream socket listening at path, the socket whose
// path a caller passes as --console-socket, as a non-blocking file.
// It uses x/sys/unix rather than package net, whose initialisation every
// runtime process would otherwise pay for.
func Listen(path string) (*os.File, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("console socket %s: %w", path, err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("console socket %s: bind: %w", path, err)
	}
	if err := unix.Listen(fd, 1); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("console socket %s: listen: %w", path, err)
	}
	return os.NewFile(uintptr(fd), path), nil
}

// ReceiveMaster accepts one connection on l, a listening unix socket (a
// file from Listen, or a *net.UnixListener), reads the one message a
// SendMaster peer (cais-runtime, runc, crun) sends and returns the fd it
// carried as a file named with the message's data. It fails if the message
// carries no fd or more than one, or if the fd is not a pty master; fds it
// rejects are closed.
func ReceiveMaster(l syscall.Conn) (*os.File, error) {
	cfd, err := accept(l)
	if err != nil {
		return nil, fmt.Errorf("receiving pty master: %w", err)
	}
	defer unix.Close(cfd)
	name := make([]byte, maxNameLen)
	oob := make([]byte, unix.CmsgSpace(4*4)) // room to see extra fds
	var n, oobn, flags int
	for {
		n, oobn, flags, _, err = unix.Recvmsg(cfd, name, oob, unix.MSG_CMSG_CLOEXEC)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("receiving pty master: %w", err)
	}
	fds, err := parseRights(oob[:oobn])
	if err != nil {
		return nil, fmt.Errorf("receiving pty master: %w", err)
	}
	if flags&unix.MSG_CTRUNC != 0 || len(fds) != 1 {
		closeAll(fds)
		return nil, fmt.Errorf("receiving pty master: message carries %d fds (truncated: %t), want 1: %w",
			len(fds), flags&unix.MSG_CTRUNC != 0, errdefs.ErrInvalidArgument)
	}
	if _, err := unix.IoctlGetUint32(fds[0], unix.TIOCGPTN); err != nil {
		closeAll(fds)
		return nil, fmt.Errorf("receiving pty master: the fd received is not a pty master (%v): %w", err, errdefs.ErrInvalidArgument)
	}
	return os.NewFile(uintptr(fds[0]), string(name[:n])), nil
}

// accept takes one connection from the listening socket l. A file from
// Listen is waited on through the Go poller; a *net.UnixListener's raw
// connection only supports Control, so there the wait is poll(2). The
// connection is blocking: ReceiveMaster reads one message from it and
// closes it.
func accept(l syscall.Conn) (int, error) {
	rc, err := l.SyscallConn()
	if err != nil {
		return -1, err
	}
	cfd, called := -1, false
	var acceptErr error
	try := func(fd uintptr) bool {
		called = true
		cfd, _, acceptErr = unix.Accept4(int(fd), unix.SOCK_CLOEXEC)
		return !errors.Is(acceptErr, unix.EAGAIN) && !errors.Is(acceptErr, unix.EINTR)
	}
	err = rc.Read(try)
	if !called {
		err = rc.Control(func(fd uintptr) {
			for !try(fd) {
				pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
				if _, perr := unix.Poll(pfd, -1); perr != nil && !errors.Is(perr, unix.EINTR) {
					acceptErr = perr
					return
				}
			}
		})
	}
	if err == nil {
		err = acceptErr
	}
	if err != nil {
		return -1, err
	}
	return cfd, nil
}

// parseRights returns every fd passed in the control messages oob.
func parseRights(oob []byte) ([]int, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, err
	}
	var fds []int
	for i := range msgs {
		if msgs[i].Header.Level != unix.SOL_SOCKET || msgs[i].Header.Type != unix.SCM_RIGHTS {
			continue
		}
		got, err := unix.ParseUnixRights(&msgs[i])
		if err != nil {
			closeAll(fds)
			return nil, err
		}
		fds = append(fds, got...)
	}
	return fds, nil
}

func closeAll(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}

// Dial connects to the caller's --console-socket (through x/sys/unix:
// package net would cost every runtime process its initialisation).
func Dial(path string) (*os.File, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("connecting to --console-socket: %w", err)
	}
	for {
		err = unix.Connect(fd, &unix.SockaddrUnix{Name: path})
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("connecting to --console-socket: dial unix %s: %w", path, err)
	}
	return os.NewFile(uintptr(fd), path), nil
}
