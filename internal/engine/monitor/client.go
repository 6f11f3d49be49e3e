package monitor

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"syscall"
	"time"

	"github.com/cais-project/cais/internal/errdefs"
)

// Client talks to one monitor through its directory. It holds no
// connection between calls and is safe for concurrent use.
type Client struct{ dir string }

// Open returns a Client for the monitor whose directory is dir.
func Open(dir string) *Client { return &Client{dir: dir} }

// Dir is the monitor's directory.
func (c *Client) Dir() string { return c.dir }

func (c *Client) dial(ctx context.Context) (*net.UnixConn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", filepath.Join(c.dir, socketName))
	if err != nil {
		if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) {
			return nil, fmt.Errorf("monitor in %s is not running: %w", c.dir, errdefs.ErrUnavailable)
		}
		return nil, fmt.Errorf("dialing monitor: %w", err)
	}
	uc := conn.(*net.UnixConn)
	if d, ok := ctx.Deadline(); ok {
		uc.SetDeadline(d)
	}
	return uc, nil
}

// call sends req and reads the response line.
func (c *Client) call(ctx context.Context, req request) (response, error) {
	conn, err := c.dial(ctx)
	if err != nil {
		return response{}, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if err := writeJSONLine(conn, req); err != nil {
		return response{}, fmt.Errorf("monitor %s: %w", req.Op, gone(err))
	}
	resp, err := readResponse(bufio.NewReader(conn))
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return response{}, fmt.Errorf("monitor %s: %w", req.Op, err)
	}
	return resp, errorOf(resp)
}

func readResponse(br *bufio.Reader) (response, error) {
	line, err := readLine(br, maxResponse)
	if err != nil {
		return response{}, gone(err)
	}
	var resp response
	if err := json.Unmarshal(line, &resp); err != nil {
		return response{}, fmt.Errorf("decoding monitor response: %w", err)
	}
	return resp, nil
}

func statusOf(resp response, err error) (Status, error) {
	if err != nil {
		return Status{}, err
	}
	if resp.Status == nil {
		return Status{}, errors.New("monitor response without status")
	}
	return *resp.Status, nil
}

// Status returns the monitor's view of the container. When the monitor
// has exited it returns what it last recorded in state.json.
func (c *Client) Status(ctx context.Context) (Status, error) {
	st, err := statusOf(c.call(ctx, request{Op: "status"}))
	if errors.Is(err, errdefs.ErrUnavailable) {
		return ReadState(c.dir)
	}
	return st, err
}

// Start starts a container the monitor created without starting. With
// Config.CreateOnStart it creates it too: a failure to create is then a
// *CreateError, as Spawn's is without it.
func (c *Client) Start(ctx context.Context) (Status, error) {
	resp, err := c.call(ctx, request{Op: "start"})
	if err != nil && resp.Error != "" && resp.Status != nil && resp.Status.State == StateExited {
		return *resp.Status, &CreateError{Msg: resp.Error, ExitCode: resp.Status.ExitCode}
	}
	return statusOf(resp, err)
}

// Kill sends sig to the container's init.
func (c *Client) Kill(ctx context.Context, sig syscall.Signal) error {
	_, err := c.call(ctx, request{Op: "kill", Signal: int(sig)})
	return err
}

// Stop sends SIGTERM, then SIGKILL to every process of the container after
// timeout, and returns the final status. No restart policy restarts a
// stopped container.
func (c *Client) Stop(ctx context.Context, timeout time.Duration) (Status, error) {
	return c.StopSignal(ctx, syscall.SIGTERM, timeout)
}

// StopSignal is Stop with sig in place of SIGTERM (the container's
// --stop-signal).
func (c *Client) StopSignal(ctx context.Context, sig syscall.Signal, timeout time.Duration) (Status, error) {
	return statusOf(c.call(ctx, request{Op: "stop", Signal: int(sig), TimeoutMs: timeout.Milliseconds()}))
}

// Wait blocks until the monitor is done with the container (it exited
// and no restart is due) and returns the final status. If the monitor
// already exited, it returns what state.json holds.
func (c *Client) Wait(ctx context.Context) (Status, error) {
	st, err := statusOf(c.call(ctx, request{Op: "wait"}))
	if errors.Is(err, errdefs.ErrUnavailable) {
		st, err = ReadState(c.dir)
		if err == nil && st.State != StateExited {
			return Status{}, fmt.Errorf("monitor died before the container exited (see Recover): %w", errdefs.ErrUnavailable)
		}
	}
	return st, err
}

// AttachOptions say which streams to connect. Nil fields are left out.
type AttachOptions struct {
	Stdin          io.Reader // sent to the container; its EOF closes the container's stdin
	Stdout, Stderr io.Writer // a tty's output all goes to Stdout
}

// Attachment is a live attach session.
type Attachment struct {
	conn *net.UnixConn
	wmu  chanMutex
	done chan error
}

// Attach connects to the container's stdio. Output is copied until the
// container exits or Close; Done reports the end.
func (c *Client) Attach(ctx context.Context, opts AttachOptions) (*Attachment, error) {
	conn, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	if err := writeJSONLine(conn, request{Op: "attach", Stdin: opts.Stdin != nil}); err != nil {
		conn.Close()
		return nil, fmt.Errorf("monitor attach: %w", err)
	}
	br := bufio.NewReader(conn)
	resp, err := readResponse(br)
	if err == nil {
		err = errorOf(resp)
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	conn.SetDeadline(time.Time{})
	a := &Attachment{conn: conn, wmu: make(chanMutex, 1), done: make(chan error, 1)}
	go a.readLoop(br, opts.Stdout, opts.Stderr)
	if opts.Stdin != nil {
		go a.stdinLoop(opts.Stdin)
	}
	return a, nil
}

func (a *Attachment) readLoop(br *bufio.Reader, stdout, stderr io.Writer) {
	buf := make([]byte, maxFrame)
	for {
		stream, p, err := readFrame(br, buf)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
				err = nil
			}
			a.done <- err
			return
		}
		w := stdout
		if stream == streamStderr {
			w = stderr
		}
		if w != nil {
			w.Write(p)
		}
	}
}

func (a *Attachment) stdinLoop(r io.Reader) {
	buf := make([]byte, 8<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 && a.send(streamStdin, buf[:n]) != nil {
			return
		}
		if err != nil {
			a.send(streamStdin, nil) // EOF: close the container's stdin
			return
		}
	}
}

func (a *Attachment) send(stream byte, p []byte) error {
	a.wmu <- struct{}{}
	defer func() { <-a.wmu }()
	return writeFrame(a.conn, stream, p)
}

// Resize sets the container's terminal size.
func (a *Attachment) Resize(rows, cols uint16) error {
	var p [4]byte
	binary.BigEndian.PutUint16(p[:], rows)
	binary.BigEndian.PutUint16(p[2:], cols)
	return a.send(streamResize, p[:])
}

// Done is sent nil when the output ended (the container exited or the
// monitor ended the session), else the read error. One value is sent.
func (a *Attachment) Done() <-chan error { return a.done }

// Close ends the session; the container is not affected.
func (a *Attachment) Close() error { return a.conn.Close() }

// chanMutex serialises frame writes from stdin and Resize.
type chanMutex chan struct{}

// gone classifies the ways a connection ends when the monitor exits while
// a request is under way (it finished with the container and went away):
// callers then read what it left on disk.
func gone(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return fmt.Errorf("monitor closed the connection (%v): %w", err, errdefs.ErrUnavailable)
	}
	return err
}
