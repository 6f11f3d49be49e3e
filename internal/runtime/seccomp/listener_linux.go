package seccomp

import (
	"encoding/json"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/errdefs"
)

// ListenerFdName is the name under which the runtime spec passes the seccomp
// listener fd in ContainerProcessState.Fds.
const ListenerFdName = "seccompFd"

// SendListener passes fds to the seccomp agent listening at listenerPath, as
// the runtime spec's seccomp "listenerPath" section describes: one AF_UNIX
// SOCK_STREAM connection per container process, carrying state as JSON with
// fds attached as SCM_RIGHTS to the first sendmsg, then closed.
//
// state.Fds names fds, index by index, so both must have the same length;
// for seccomp notify that is state.Fds = []string{ListenerFdName} and fds
// holding the fd Load returned. The caller fills state (ociVersion, pid,
// metadata from listenerMetadata, the container state) and still owns fds.
// A connection or send failure wraps errdefs.ErrUnavailable.
func SendListener(listenerPath string, state specs.ContainerProcessState, fds []int) error {
	if listenerPath == "" {
		return fmt.Errorf("sending seccomp listener: empty listener path: %w", errdefs.ErrInvalidArgument)
	}
	if len(state.Fds) != len(fds) {
		return fmt.Errorf("sending seccomp listener: %d fd names for %d fds: %w",
			len(state.Fds), len(fds), errdefs.ErrInvalidArgument)
	}
	sock, err := DialListener(listenerPath)
	if err != nil {
		return err
	}
	defer unix.Close(sock)
	return SendListenerOn(sock, state, fds)
}

// DialListener connects to the seccomp agent at listenerPath. A container's
// init connects before it pivots into the container's root, where the path
// no longer resolves, and sends later with SendListenerOn.
func DialListener(listenerPath string) (int, error) {
	if listenerPath == "" {
		return -1, fmt.Errorf("sending seccomp listener: empty listener path: %w", errdefs.ErrInvalidArgument)
	}
	sock, err := dialUnix(listenerPath)
	if err != nil {
		return -1, fmt.Errorf("connecting to seccomp agent at %s: %w: %w", listenerPath, errdefs.ErrUnavailable, err)
	}
	return sock, nil
}

// SendListenerOn sends state and fds on a connection from DialListener, as
// SendListener does. The caller closes sock.
func SendListenerOn(sock int, state specs.ContainerProcessState, fds []int) error {
	if len(state.Fds) != len(fds) {
		return fmt.Errorf("sending seccomp listener: %d fd names for %d fds: %w",
			len(state.Fds), len(fds), errdefs.ErrInvalidArgument)
	}
	payload, err := json.Marshal(state)
	if err != nil {
		return fmt.Errorf("encoding container process state: %w", err)
	}
	if err := sendAll(sock, payload, unix.UnixRights(fds...)); err != nil {
		return fmt.Errorf("sending container process state to the seccomp agent: %w: %w", errdefs.ErrUnavailable, err)
	}
	return nil
}

func dialUnix(path string) (int, error) {
	sock, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("socket: %w", err)
	}
	for {
		err = unix.Connect(sock, &unix.SockaddrUnix{Name: path})
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		unix.Close(sock)
		return -1, fmt.Errorf("connect: %w", err)
	}
	return sock, nil
}

// sendAll writes payload to sock, attaching oob to the first sendmsg only
// (the spec forbids fds in later calls) and continuing after short writes.
func sendAll(sock int, payload, oob []byte) error {
	for len(payload) > 0 {
		n, err := unix.SendmsgN(sock, payload, oob, nil, unix.MSG_NOSIGNAL)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("sendmsg: %w", err)
		}
		oob = nil
		payload = payload[n:]
	}
	return nil
}
