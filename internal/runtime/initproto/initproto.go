// Package initproto is the typed conversation between cais-runtime (the
// parent) and the container's init (the child), after the nsenter
// constructor has put the child in its namespaces.
//
// Every step is a named method pair, in this order:
//
//	parent SendConfig          -> child ReceiveConfig
//	child  RequestHooks        -> parent AwaitHookRequest  (mounts are done,
//	parent HooksDone           -> child AwaitHooksDone      root not pivoted)
//	child  Ready               -> parent AwaitReady        (about to wait for start)
//
// and either side may report a failure instead (child Fail, which the
// parent's next Await returns as an error). Messages are a 4-byte type, a
// 4-byte length and a body: JSON, except the config's, a binary form of the
// Go value (codec.go); lengths are checked against per-type limits before
// anything is allocated.
package initproto

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/runtime/seccomp"
)

// Message types.
const (
	typeConfig    uint32 = 0x10
	typeHooks     uint32 = 0x11
	typeHooksDone uint32 = 0x12
	typeReady     uint32 = 0x13
	typeError     uint32 = 0x1f
)

// Limits: the config carries a whole OCI spec; everything else is small.
const (
	MaxConfig  = 8 << 20
	MaxMessage = 64 << 10
)

// Config is what the child needs to set up the container, sent as data so
// the child never reads files the container could have changed.
type Config struct {
	ID     string      `json:"id"`
	Bundle string      `json:"bundle"`
	Spec   *specs.Spec `json:"spec"`
	// Rootfs is the absolute host path of the root filesystem.
	Rootfs       string `json:"rootfs"`
	NoPivot      bool   `json:"noPivot,omitempty"`
	NoNewKeyring bool   `json:"noNewKeyring,omitempty"`
	// CgroupPaths maps v1 controllers (or "" on v2) to host directories.
	CgroupPaths map[string]string `json:"cgroupPaths,omitempty"`
	// PreserveFDs is how many fds after stdio the process keeps.
	PreserveFDs int `json:"preserveFds,omitempty"`
	// The fds of the child's own channels (all after the preserved ones).
	FifoFD          int `json:"fifoFd"`                    // exec fifo (O_PATH); -1 for exec
	ConsoleSocketFD int `json:"consoleSocketFd,omitempty"` // 0 when no terminal
	// Exec is true for `cais-runtime exec`: no rootfs setup, no fifo.
	Exec bool `json:"exec,omitempty"`
	// HostPid is the process's pid as the runtime sees it, which the
	// state given to hooks carries (runtime-spec: "as seen by the host").
	HostPid int `json:"hostPid,omitempty"`
	// Seccomp is linux.seccomp compiled by the parent (nil without a
	// profile): the init loads it and compiles nothing.
	Seccomp *seccomp.Program `json:"seccomp,omitempty"`
}

// HookRequest says which hooks the parent must run now.
type HookRequest struct {
	Pid int `json:"pid"`
}

type failure struct {
	Message string `json:"message"`
}

// ErrChild wraps failures the child reported.
var ErrChild = errors.New("container init")

// Conn is one side of the conversation over a connected socket.
type Conn struct {
	rw io.ReadWriter
}

// New returns a Conn over rw.
func New(rw io.ReadWriter) *Conn { return &Conn{rw: rw} }

// SendConfig (parent) sends the init configuration.
// The spec goes without linux.resources and other platforms' sections
// (wire.go), in the binary form of codec.go.
func (c *Conn) SendConfig(cfg *Config) error {
	body, err := marshal(pruned(cfg))
	if err != nil {
		return fmt.Errorf("initproto: encoding the config: %w", err)
	}
	return c.write(typeConfig, body)
}

// ReceiveConfig (child) reads the init configuration.
func (c *Conn) ReceiveConfig() (*Config, error) {
	body, err := c.expectBody(typeConfig, MaxConfig)
	if err != nil {
		return nil, err
	}
	var cfg Config
	if err := unmarshal(body, &cfg); err != nil {
		return nil, fmt.Errorf("initproto: decoding the config: %w", err)
	}
	if cfg.Spec == nil {
		return nil, fmt.Errorf("initproto: config without a spec")
	}
	return &cfg, nil
}

// RequestHooks (child) asks the parent to run the prestart and createRuntime
// hooks, and blocks in AwaitHooksDone until it has.
func (c *Conn) RequestHooks(pid int) error { return c.send(typeHooks, HookRequest{Pid: pid}) }

// AwaitHookRequest (parent) waits for RequestHooks.
func (c *Conn) AwaitHookRequest() (HookRequest, error) {
	var r HookRequest
	err := c.expect(typeHooks, MaxMessage, &r)
	return r, err
}

// HooksDone (parent) answers RequestHooks; a non-nil err is a hook failure
// that the child must give up on.
func (c *Conn) HooksDone(err error) error {
	if err != nil {
		return c.send(typeError, failure{Message: err.Error()})
	}
	return c.send(typeHooksDone, struct{}{})
}

// AwaitHooksDone (child) waits for HooksDone.
func (c *Conn) AwaitHooksDone() error { return c.expect(typeHooksDone, MaxMessage, &struct{}{}) }

// Ready (child) says the container is set up and waits for start.
func (c *Conn) Ready() error { return c.send(typeReady, struct{}{}) }

// AwaitReady (parent) waits for Ready.
func (c *Conn) AwaitReady() error { return c.expect(typeReady, MaxMessage, &struct{}{}) }

// Fail (child) reports why setting up failed; the parent's pending Await
// returns it.
func (c *Conn) Fail(err error) error { return c.send(typeError, failure{Message: err.Error()}) }

func (c *Conn) send(typ uint32, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("initproto: encoding message %#x: %w", typ, err)
	}
	return c.write(typ, body)
}

func (c *Conn) write(typ uint32, body []byte) error {
	if len(body) > limit(typ) {
		return fmt.Errorf("initproto: message %#x of %d bytes exceeds %d", typ, len(body), limit(typ))
	}
	buf := make([]byte, 8, 8+len(body))
	binary.LittleEndian.PutUint32(buf, typ)
	binary.LittleEndian.PutUint32(buf[4:], uint32(len(body)))
	buf = append(buf, body...)
	if _, err := c.rw.Write(buf); err != nil {
		return fmt.Errorf("initproto: sending message %#x: %w", typ, err)
	}
	return nil
}

func limit(typ uint32) int {
	if typ == typeConfig {
		return MaxConfig
	}
	return MaxMessage
}

// expect reads one message of type want (or an error report) into v.
func (c *Conn) expect(want uint32, max int, v any) error {
	body, err := c.expectBody(want, max)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("initproto: decoding message %#x: %w", want, err)
	}
	return nil
}

// expectBody reads one message of type want (or an error report, which
// it returns as an error) and returns its body.
func (c *Conn) expectBody(want uint32, max int) ([]byte, error) {
	typ, body, err := read(c.rw, max)
	if err != nil {
		return nil, err
	}
	if typ == typeError {
		var f failure
		if err := json.Unmarshal(body, &f); err != nil {
			return nil, fmt.Errorf("initproto: undecodable error report: %w", err)
		}
		return nil, fmt.Errorf("%w: %s", ErrChild, f.Message)
	}
	if typ != want {
		return nil, fmt.Errorf("initproto: got message %#x, want %#x", typ, want)
	}
	return body, nil
}

func read(r io.Reader, max int) (uint32, []byte, error) {
	var hdr [8]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, nil, fmt.Errorf("initproto: the other side closed the connection: %w", io.ErrUnexpectedEOF)
		}
		return 0, nil, fmt.Errorf("initproto: reading: %w", err)
	}
	typ := binary.LittleEndian.Uint32(hdr[:4])
	n := binary.LittleEndian.Uint32(hdr[4:])
	if typ == typeError && max < MaxMessage {
		max = MaxMessage
	}
	if uint64(n) > uint64(max) {
		return 0, nil, fmt.Errorf("initproto: message %#x of %d bytes exceeds %d", typ, n, max)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return 0, nil, fmt.Errorf("initproto: reading message %#x of %d bytes: %w", typ, n, err)
	}
	return typ, body, nil
}
