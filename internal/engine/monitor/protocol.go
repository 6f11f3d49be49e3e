package monitor

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/fsutil"
)

// Limits of the protocol.
const (
	maxRequest  = 4 << 10
	maxResponse = 64 << 10
	maxFrame    = 32 << 10
)

// Frame streams on an attach connection.
const (
	streamStdin  = 0
	streamStdout = 1
	streamStderr = 2
	streamResize = 3
)

// Container states in Status.State.
const (
	StateCreated    = "created"
	StateRunning    = "running"
	StateRestarting = "restarting" // exited, waiting out the back-off
	StateExited     = "exited"     // final: the monitor is done
)

// Status is what the monitor knows about its container; it is also the
// content of state.json.
type Status struct {
	ID           string    `json:"id"`
	State        string    `json:"state"`
	Pid          int       `json:"pid,omitempty"` // the init's host pid while it lives
	MonitorPid   int       `json:"monitorPid"`
	ExitCode     int       `json:"exitCode"` // of the last exit; -1 if unknown
	StartedAt    time.Time `json:"startedAt,omitzero"`
	FinishedAt   time.Time `json:"finishedAt,omitzero"`
	RestartCount int       `json:"restartCount"`
	UserStopped  bool      `json:"userStopped,omitempty"`
	Removed      bool      `json:"removed,omitempty"` // --rm cleanup ran
	Error        string    `json:"error,omitempty"`   // why the monitor gave up, if it did
}

type request struct {
	Op        string `json:"op"`
	Signal    int    `json:"signal,omitempty"`
	TimeoutMs int64  `json:"timeoutMs,omitempty"`
	Stdin     bool   `json:"stdin,omitempty"`
}

type response struct {
	Status *Status `json:"status,omitempty"`
	Error  string  `json:"error,omitempty"`
	Class  string  `json:"class,omitempty"`
}

// readLine reads one '\n'-terminated line of at most limit bytes.
func readLine(r *bufio.Reader, limit int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > limit {
			return nil, fmt.Errorf("message longer than %d bytes: %w", limit, errdefs.ErrInvalidArgument)
		}
		if err == nil {
			return line, nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return nil, err
		}
	}
}

func writeJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

func classOf(err error) string {
	switch {
	case errors.Is(err, errdefs.ErrNotFound):
		return "not-found"
	case errors.Is(err, errdefs.ErrConflict):
		return "conflict"
	case errors.Is(err, errdefs.ErrInvalidArgument):
		return "invalid"
	}
	return ""
}

func errorOf(resp response) error {
	if resp.Error == "" {
		return nil
	}
	class := map[string]error{"not-found": errdefs.ErrNotFound, "conflict": errdefs.ErrConflict, "invalid": errdefs.ErrInvalidArgument}[resp.Class]
	if class != nil {
		return fmt.Errorf("monitor: %s: %w", resp.Error, class)
	}
	return fmt.Errorf("monitor: %s", resp.Error)
}

func writeFrame(w io.Writer, stream byte, p []byte) error {
	var hdr [5]byte
	hdr[0] = stream
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(p)))
	if _, err := w.Write(append(hdr[:], p...)); err != nil {
		return err
	}
	return nil
}

func readFrame(r io.Reader, buf []byte) (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if n > maxFrame {
		return 0, nil, fmt.Errorf("frame of %d bytes: %w", n, errdefs.ErrInvalidArgument)
	}
	if _, err := io.ReadFull(r, buf[:n]); err != nil {
		return 0, nil, err
	}
	return hdr[0], buf[:n], nil
}

// writeFileAtomic replaces path with b: temp file, rename. Every file it
// writes is in the monitor's directory in the runroot, which a reboot
// clears (and no monitor survives one): no fsync.
func writeFileAtomic(path string, b []byte) error { return fsutil.Replace(path, b, 0o600) }

// ReadState reads state.json from a monitor's directory: what the monitor
// last recorded, also after it exited.
func ReadState(dir string) (Status, error) {
	b, err := os.ReadFile(filepath.Join(dir, stateName))
	if err != nil {
		if os.IsNotExist(err) {
			return Status{}, fmt.Errorf("monitor state in %s: %w", dir, errdefs.ErrNotFound)
		}
		return Status{}, fmt.Errorf("monitor state: %w", err)
	}
	var s Status
	if err := json.Unmarshal(b, &s); err != nil {
		return Status{}, fmt.Errorf("monitor state in %s: %w", dir, err)
	}
	return s, nil
}
