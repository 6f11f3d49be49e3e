package console

import (
	"errors"
	"fmt"
	"net"
	"os"

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

// ReceiveMaster accepts one connection on l, reads the one message a
// SendMaster peer (cais-runtime, runc, crun) sends and returns the fd it
// carried as a file named with the message's data. It fails if the message
// carries no fd or more than one, or if the fd is not a pty master; fds it
// rejects are closed.
func ReceiveMaster(l *net.UnixListener) (*os.File, error) {
	conn, err := l.AcceptUnix()
	if err != nil {
		return nil, fmt.Errorf("receiving pty master: %w", err)
	}
	defer conn.Close()
	name := make([]byte, maxNameLen)
	oob := make([]byte, unix.CmsgSpace(4*4)) // room to see extra fds
	n, oobn, flags, _, err := conn.ReadMsgUnix(name, oob)
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
