package monitor

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/cais-project/cais/internal/errdefs"
)

// serve accepts control and attach connections until the listener closes.
func (s *server) serve() {
	for {
		conn, err := s.ln.AcceptUnix()
		if err != nil {
			return
		}
		s.handlers.Add(1)
		go func() {
			defer s.handlers.Done()
			s.handle(conn)
		}()
	}
}

func (s *server) handle(conn *net.UnixConn) {
	ctx := context.Background()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReaderSize(conn, 512)
	line, err := readLine(br, maxRequest)
	if err != nil {
		conn.Close()
		return
	}
	conn.SetReadDeadline(time.Time{})
	var req request
	if err := json.Unmarshal(line, &req); err != nil {
		s.reply(conn, nil, fmt.Errorf("decoding request: %w: %w", err, errdefs.ErrInvalidArgument))
		conn.Close()
		return
	}
	if req.Op == "attach" {
		s.attach(conn, br, req.Stdin)
		return
	}
	defer conn.Close()
	switch req.Op {
	case "status":
		st := s.snapshot()
		s.reply(conn, &st, nil)
	case "start":
		s.mu.Lock()
		r := s.cur
		s.mu.Unlock()
		err := s.startRun(ctx, r)
		st := s.snapshot()
		s.reply(conn, &st, err)
	case "kill":
		err := s.kill(ctx, syscall.Signal(req.Signal))
		s.reply(conn, nil, err)
	case "stop":
		st := s.stop(ctx, syscall.Signal(req.Signal), time.Duration(req.TimeoutMs)*time.Millisecond)
		s.reply(conn, &st, nil)
	case "claim-remove":
		s.holdClaim(conn, br)
	case "await-delete":
		s.awaitDelete(conn)
	case "wait":
		// A client that goes away ends the wait: watch the connection.
		gone := make(chan struct{})
		go func() { br.ReadByte(); close(gone) }()
		select {
		case <-s.done:
			st := s.snapshot()
			s.reply(conn, &st, nil)
		case <-gone:
		}
	default:
		s.reply(conn, nil, fmt.Errorf("unknown op %q: %w", req.Op, errdefs.ErrInvalidArgument))
	}
}

func (s *server) reply(conn net.Conn, st *Status, err error) error {
	resp := response{Status: st}
	if err != nil {
		resp.Error, resp.Class = err.Error(), classOf(err)
	}
	conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	defer conn.SetWriteDeadline(time.Time{})
	return writeJSONLine(conn, resp)
}

func (s *server) kill(ctx context.Context, sig syscall.Signal) error {
	if sig <= 0 || sig > 64 {
		return fmt.Errorf("signal %d: %w", sig, errdefs.ErrInvalidArgument)
	}
	switch st := s.snapshot(); st.State {
	case StateRunning, StateCreated:
		return s.rt.Kill(ctx, s.cfg.ID, sig, false)
	default:
		return fmt.Errorf("container %s is %s: %w", s.cfg.ID, st.State, errdefs.ErrConflict)
	}
}

// attach streams output to conn and takes stdin and resizes from it.
func (s *server) attach(conn *net.UnixConn, br *bufio.Reader, wantStdin bool) {
	select {
	case <-s.done:
		s.reply(conn, nil, fmt.Errorf("container %s has exited: %w", s.cfg.ID, errdefs.ErrConflict))
		conn.Close()
		return
	default:
	}
	c := s.hub.add(conn, wantStdin)
	if err := s.reply(conn, nil, nil); err != nil {
		s.hub.remove(c)
		return
	}
	go c.writeLoop()
	buf := make([]byte, maxFrame)
	for {
		stream, p, err := readFrame(br, buf)
		if err != nil {
			break
		}
		switch {
		case stream == streamStdin && c.stdin && len(p) == 0:
			s.closeStdin()
		case stream == streamStdin && c.stdin:
			s.writeStdin(p)
		case stream == streamResize && len(p) == 4:
			s.resize(binary.BigEndian.Uint16(p), binary.BigEndian.Uint16(p[2:]))
		}
	}
	if c.stdin && s.cfg.StdinOnce {
		s.closeStdin()
	}
	s.hub.remove(c)
}

// hub fans output out to attached clients.
type hub struct {
	mu        sync.Mutex
	clients   map[*attached]bool
	stdinUsed bool
}

type attached struct {
	conn  *net.UnixConn
	out   chan []byte // encoded frames
	stdin bool
}

func newHub() *hub { return &hub{clients: map[*attached]bool{}} }

func (h *hub) add(conn *net.UnixConn, wantStdin bool) *attached {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := &attached{conn: conn, out: make(chan []byte, 64)}
	if wantStdin && !h.stdinUsed {
		c.stdin, h.stdinUsed = true, true
	}
	h.clients[c] = true
	return c
}

func (h *hub) remove(c *attached) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.removeLocked(c)
}

func (h *hub) removeLocked(c *attached) {
	if !h.clients[c] {
		return
	}
	delete(h.clients, c)
	if c.stdin {
		h.stdinUsed = false
	}
	close(c.out) // writeLoop closes the connection once it drained
}

// broadcast queues a frame for every client; one too slow to take it is
// dropped.
func (h *hub) broadcast(stream byte, p []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.clients) == 0 {
		return
	}
	frame := make([]byte, 5+len(p))
	frame[0] = stream
	binary.BigEndian.PutUint32(frame[1:], uint32(len(p)))
	copy(frame[5:], p)
	for c := range h.clients {
		select {
		case c.out <- frame:
		default:
			h.removeLocked(c)
		}
	}
}

// closeAll ends every attach session (the container exited).
func (h *hub) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		h.removeLocked(c)
	}
}

func (c *attached) writeLoop() {
	for frame := range c.out {
		c.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.conn.Write(frame); err != nil {
			break
		}
	}
	// Drain so broadcast never blocks, then end the session; the reader
	// side in attach sees EOF and removes the client if it has not.
	go func() {
		for range c.out {
		}
	}()
	c.conn.CloseWrite()
	c.conn.Close()
}

// runCleanup runs the engine's cleanup command with the container ID in
// CAIS_CONTAINER_ID.
func runCleanup(ctx context.Context, cfg Config) error {
	cmd := exec.CommandContext(ctx, cfg.Cleanup[0], cfg.Cleanup[1:]...)
	cmd.Env = append(os.Environ(), "CAIS_CONTAINER_ID="+cfg.ID)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("cleanup command: %w: %s", err, out)
	}
	return nil
}
