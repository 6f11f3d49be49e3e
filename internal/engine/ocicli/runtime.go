package ocicli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"github.com/cais-project/cais/internal/procwait"
)

// Runtime is one OCI runtime binary and its global flags. The zero value
// is not usable: Path is required.
type Runtime struct {
	// Path is the runtime binary (absolute, or looked up in PATH).
	Path string
	// Root is the runtime's --root, where it keeps container state; empty
	// leaves the runtime's default.
	Root string
	// Log is the runtime's --log file. When empty, each call uses a
	// temporary log file of its own so the runtime's error message can
	// still be read.
	Log string
	// SystemdCgroup passes --systemd-cgroup.
	SystemdCgroup bool
}

// IO is the stdio a runtime command passes on to the container's process.
// Files, not io.Readers: the container keeps them after the runtime exits,
// so they must not be pipes that the runtime call would wait to drain.
// A nil field means /dev/null.
type IO struct {
	Stdin, Stdout, Stderr *os.File
}

// call is one runtime invocation being built.
type call struct {
	op, id string
	args   []string
	stdin  io.Reader
	io     *IO
	// extraFiles are passed as fd 3 and up.
	extraFiles []*os.File
}

// result is what a successful call printed.
type result struct {
	stdout []byte
}

// run runs the runtime for c and returns its stdout, or an *Error.
func (r Runtime) run(ctx context.Context, c call) (result, error) {
	if r.Path == "" {
		return result{}, &Error{Op: c.op, ID: c.id, Status: -1, process: errors.New("no runtime path"), class: nil}
	}
	logPath, logStart, cleanup, err := r.logFile()
	if err != nil {
		return result{}, &Error{Op: c.op, ID: c.id, Status: -1, process: err}
	}
	defer cleanup()
	args := []string{"--log", logPath, "--log-format", "json"}
	if r.Root != "" {
		args = append(args, "--root", r.Root)
	}
	if r.SystemdCgroup {
		args = append(args, "--systemd-cgroup")
	}
	args = append(args, c.op)
	args = append(args, c.args...)
	cmd := exec.CommandContext(ctx, r.Path, args...)
	cmd.ExtraFiles = c.extraFiles
	// Kill only the runtime on cancel: the container it made is its own.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGKILL) }
	var stdout, stderr bytes.Buffer
	// With container stdio the runtime's own stderr is the container's;
	// its message is in the log then.
	errOut := &limitedBuffer{buf: &stderr, max: 64 << 10}
	switch {
	case c.io != nil:
		cmd.Stdin, cmd.Stdout, cmd.Stderr = fileOrNil(c.io.Stdin), fileOrNil(c.io.Stdout), fileOrNil(c.io.Stderr)
		if c.io.Stdin == nil && c.stdin != nil {
			cmd.Stdin = c.stdin
		}
	default:
		cmd.Stdin = c.stdin
		cmd.Stdout = &stdout
		cmd.Stderr = errOut
	}
	runErr := procwait.Run(cmd)
	if runErr == nil {
		return result{stdout: stdout.Bytes()}, nil
	}
	e := &Error{Op: c.op, ID: c.id, Status: -1}
	var ee *exec.ExitError
	if errors.As(runErr, &ee) {
		e.Status = ee.ExitCode()
	} else {
		e.process = runErr
	}
	if ctx.Err() != nil {
		e.process = fmt.Errorf("%w: %w", runErr, ctx.Err())
	}
	e.Msg = logError(logPath, logStart)
	if e.Msg == "" {
		e.Msg = strings.TrimSpace(stderr.String())
	}
	e.class = classify(c.op, e.Msg)
	return result{}, e
}

func fileOrNil(f *os.File) io.ReadWriter {
	if f == nil {
		return nil // exec.Cmd connects /dev/null
	}
	return f
}

// logFile returns the --log path for one call and the offset where this
// call's lines start.
func (r Runtime) logFile() (path string, start int64, cleanup func(), err error) {
	if r.Log != "" {
		if fi, err := os.Stat(r.Log); err == nil {
			start = fi.Size()
		}
		return r.Log, start, func() {}, nil
	}
	f, err := os.CreateTemp("", "ocicli-log-")
	if err != nil {
		return "", 0, nil, fmt.Errorf("creating runtime log: %w", err)
	}
	f.Close()
	return f.Name(), 0, func() { os.Remove(f.Name()) }, nil
}

// logError returns the last error message the runtime logged after start:
// runc-style JSON lines {"level":"error","msg":"..."}; a line that is not
// JSON counts as a message of its own (crun writes plain text without
// --log-format support in some versions).
func logError(path string, start int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if _, err := f.Seek(start, io.SeekStart); err != nil {
		return ""
	}
	var last string
	sc := bufio.NewScanner(io.LimitReader(f, 1<<20))
	sc.Buffer(make([]byte, 4096), 256<<10)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var entry struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
		}
		if json.Unmarshal(line, &entry) != nil {
			last = string(line)
			continue
		}
		if entry.Level == "error" || entry.Level == "fatal" {
			last = strings.TrimSpace(entry.Msg)
		}
	}
	return last
}

// limitedBuffer keeps the first max bytes written and discards the rest.
type limitedBuffer struct {
	buf *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.buf.Len(); room > 0 {
		if len(p) > room {
			l.buf.Write(p[:room])
		} else {
			l.buf.Write(p)
		}
	}
	return len(p), nil
}
