package nsenter

/*
#include "nsenter.h"
#include "cinit.h"
*/
import "C"

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// EnvName is the environment variable that holds the sync socket's fd number.
const EnvName = C.NSENTER_ENV

// Exit codes of the constructor when it cannot even report an error.
const (
	ExitProtocol = C.NSENTER_EXIT_PROTOCOL
	ExitFailed   = C.NSENTER_EXIT_FAILED
)

const (
	magic      = uint32(C.NSENTER_MAGIC)
	maxRequest = C.NSENTER_MAX_REQUEST
	maxJoin    = C.NSENTER_MAX_JOIN
	maxPath    = C.NSENTER_MAX_PATH
	// MaxMessage bounds any message the constructor sends.
	MaxMessage = C.NSENTER_MAX_ERROR

	msgHello = uint32(C.NSENTER_MSG_HELLO)
	msgAck   = uint32(C.NSENTER_MSG_ACK)
	msgPid   = uint32(C.NSENTER_MSG_PID)
	msgError = uint32(C.NSENTER_MSG_ERROR)
)

// Join names an existing namespace to enter.
type Join struct {
	Type int    // a CLONE_NEW* constant
	Path string // e.g. /proc/1234/ns/net or /run/netns/x
}

// TimeOffset is one clock's offset in a new time namespace.
type TimeOffset struct {
	Clock   int32 // CLOCK_MONOTONIC or CLOCK_BOOTTIME
	Sec     int64
	Nanosec int64
}

// Request says which namespaces the constructor creates and joins.
type Request struct {
	CloneFlags uintptr // CLONE_NEW* to create
	Fork       bool    // fork even when no namespace requires it
	// CInit runs the C init (cinit.c) after the namespaces: the parent
	// sends it a compiled program (package cinit) after the pid message.
	CInit       bool
	Join        []Join
	TimeOffsets []TimeOffset
}

// Encode renders r in the constructor's wire format, refusing what the
// constructor would refuse.
func (r *Request) Encode() ([]byte, error) {
	if len(r.Join) > maxJoin {
		return nil, fmt.Errorf("nsenter: %d namespaces to join, at most %d", len(r.Join), maxJoin)
	}
	var body bytes.Buffer
	put := func(v any) { _ = binary.Write(&body, binary.LittleEndian, v) }
	put(uint32(r.CloneFlags))
	var flags uint32
	if r.Fork {
		flags |= C.NSENTER_FORK
	}
	if r.CInit {
		flags |= C.NSENTER_CINIT
	}
	put(flags)
	put(uint32(len(r.Join)))
	for _, j := range r.Join {
		if len(j.Path) == 0 || len(j.Path) > maxPath {
			return nil, fmt.Errorf("nsenter: namespace path %q: bad length", j.Path)
		}
		put(uint32(j.Type))
		put(uint32(len(j.Path)))
		body.WriteString(j.Path)
	}
	put(uint32(len(r.TimeOffsets)))
	for _, o := range r.TimeOffsets {
		put(uint32(o.Clock))
		put(o.Sec)
		put(o.Nanosec)
	}
	if body.Len() > maxRequest {
		return nil, fmt.Errorf("nsenter: request of %d bytes is too large", body.Len())
	}
	var out bytes.Buffer
	_ = binary.Write(&out, binary.LittleEndian, magic)
	_ = binary.Write(&out, binary.LittleEndian, uint32(body.Len()))
	out.Write(body.Bytes())
	return out.Bytes(), nil
}

// ErrConstructor is wrapped by errors the constructor reported.
var ErrConstructor = errors.New("container setup failed")

// Handshake is the parent's side of the conversation with the constructor.
// Its methods must be called in order: Send, Hello, Ack, Pid.
type Handshake struct {
	conn io.ReadWriter
}

// NewHandshake returns the parent side over the socket it shares with the child.
func NewHandshake(conn io.ReadWriter) *Handshake { return &Handshake{conn: conn} }

// Send writes the request. The socket buffers it, so Send may come before
// the child starts.
func (h *Handshake) Send(r *Request) error {
	b, err := r.Encode()
	if err != nil {
		return err
	}
	_, err = h.conn.Write(b)
	return err
}

// Hello waits for the child's first message and returns its pid (as the
// parent sees it). The child is in its user namespace, if any, and waits for
// Ack.
func (h *Handshake) Hello() (int, error) { return h.readPid(msgHello) }

// Ack lets the child go on, once the parent has put it in its cgroup and
// written its id maps.
func (h *Handshake) Ack() error {
	var b [8]byte
	binary.LittleEndian.PutUint32(b[0:], msgAck)
	_, err := h.conn.Write(b[:])
	return err
}

// Pid waits for the pid of the process that runs the container (different
// from Hello's when the constructor forked into a pid namespace).
func (h *Handshake) Pid() (int, error) { return h.readPid(msgPid) }

func (h *Handshake) readPid(want uint32) (int, error) {
	typ, payload, err := ReadMessage(h.conn)
	if err != nil {
		return 0, err
	}
	if typ == msgError {
		return 0, fmt.Errorf("%w: %s", ErrConstructor, payload)
	}
	if typ != want || len(payload) != 4 {
		return 0, fmt.Errorf("nsenter: unexpected message %d (%d bytes) while waiting for %d", typ, len(payload), want)
	}
	pid := int(int32(binary.LittleEndian.Uint32(payload)))
	if pid <= 0 {
		return 0, fmt.Errorf("nsenter: bad pid %d", pid)
	}
	return pid, nil
}

// ReadMessage reads one constructor message, refusing any longer than
// MaxMessage. An EOF before a message means the child died; its exit status
// tells more.
func ReadMessage(r io.Reader) (uint32, []byte, error) {
	var hdr [8]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, nil, fmt.Errorf("nsenter: the child closed the connection: %w", io.ErrUnexpectedEOF)
		}
		return 0, nil, fmt.Errorf("nsenter: reading from the child: %w", err)
	}
	typ := binary.LittleEndian.Uint32(hdr[0:])
	n := binary.LittleEndian.Uint32(hdr[4:])
	if n > MaxMessage {
		return 0, nil, fmt.Errorf("nsenter: message of %d bytes is too large", n)
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, fmt.Errorf("nsenter: reading a message of %d bytes: %w", n, err)
	}
	return typ, payload, nil
}

// InChild reports whether this process was started by the constructor
// protocol, and clears the variable so nothing the container runs sees it.
// It returns the sync socket.
func InChild() (*os.File, bool) {
	v, ok := os.LookupEnv(EnvName)
	if !ok {
		return nil, false
	}
	os.Unsetenv(EnvName)
	var fd int
	if _, err := fmt.Sscanf(v, "%d", &fd); err != nil || fd < 3 {
		return nil, false
	}
	unix.CloseOnExec(fd)
	return os.NewFile(uintptr(fd), "sync"), true
}
