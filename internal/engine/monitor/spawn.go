package monitor

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/cais-project/cais/internal/procwait"
)

// stageEnv marks the second stage of the double fork.
const stageEnv = "_CAIS_MONITOR_STAGE"

// IsDaemon reports whether this process is the monitor proper (the second
// stage). cmd/cais-monitor calls Daemonize when it is not.
func IsDaemon() bool { return os.Getenv(stageEnv) == "2" }

// Daemonize is the first stage of cais-monitor run by hand (Spawn starts
// the second stage directly): it starts the second stage
// (the same binary and arguments) in a new session, handing on fd 3 (the
// ready pipe) and stdio, and returns at once so its parent can reap it;
// the monitor then belongs to no one but init (or the closest subreaper).
func Daemonize(args []string) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding own binary: %w", err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Args[0] = "cais-monitor"
	// One P is plenty for a monitor and saves per-P caches.
	cmd.Env = append(os.Environ(), stageEnv+"=2", "GOMAXPROCS=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.ExtraFiles = []*os.File{os.NewFile(3, "ready")}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Dir = "/"
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting monitor: %w", err)
	}
	return cmd.Process.Release()
}

// ReadyPipe is fd 3 of the second stage, where Run reports readiness.
func ReadyPipe() *os.File { return os.NewFile(3, "ready") }

// Spawn starts a monitor for cfg with the cais-monitor binary and waits
// until it created the container (or failed to). The monitor outlives the
// caller. It returns a Client for the monitor and the init's pid.
func Spawn(ctx context.Context, binary string, cfg Config) (*Client, int, error) {
	if err := cfg.validate(); err != nil {
		return nil, 0, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, 0, fmt.Errorf("creating monitor dir: %w", err)
	}
	logf, err := os.OpenFile(filepath.Join(cfg.Dir, logName), os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, 0, fmt.Errorf("opening monitor log: %w", err)
	}
	defer logf.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, 0, err
	}
	defer pr.Close()
	cmd := monitorCommand(binary, cfg.Args())
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.ExtraFiles = []*os.File{pw}
	err = cmd.Start()
	pw.Close()
	if err != nil {
		return nil, 0, fmt.Errorf("starting monitor: %w", err)
	}
	go procwait.Wait(cmd)
	return awaitReady(ctx, pr, cfg.Dir)
}

// monitorCommand is the monitor proper, started directly, not through
// Daemonize's second exec (a whole Go start-up on every container start):
// in its own session, and never tied to a context. It is the caller's
// child only until the caller exits; the caller reaps it should it end
// first.
func monitorCommand(binary string, args []string) *exec.Cmd {
	cmd := exec.Command(binary, args...)
	cmd.Args[0] = "cais-monitor"
	// One P is plenty for a monitor and saves per-P caches.
	cmd.Env = append(os.Environ(), stageEnv+"=2", "GOMAXPROCS=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Dir = "/"
	return cmd
}

// awaitReady reads the monitor's report from the ready pipe: the init's
// pid, or why it could not create the container. The pipe ends when the
// monitor reported or died.
func awaitReady(ctx context.Context, pr *os.File, dir string) (*Client, int, error) {
	if d, ok := ctx.Deadline(); ok {
		pr.SetReadDeadline(d)
	} else {
		pr.SetReadDeadline(time.Time{})
	}
	line, err := readLine(bufio.NewReader(pr), maxResponse)
	if err != nil && err != io.EOF {
		return nil, 0, fmt.Errorf("waiting for monitor: %w", err)
	}
	var ready struct {
		Pid   int    `json:"pid"`
		Error string `json:"error"`
	}
	if len(line) == 0 || json.Unmarshal(line, &ready) != nil {
		b, _ := os.ReadFile(filepath.Join(dir, logName))
		return nil, 0, fmt.Errorf("monitor exited before creating the container: %s", lastLine(b))
	}
	if ready.Error != "" {
		st, _ := ReadState(dir)
		return nil, 0, &CreateError{Msg: ready.Error, ExitCode: st.ExitCode}
	}
	return &Client{dir: dir}, ready.Pid, nil
}

// CreateError is a container the monitor could not create; ExitCode is
// 126 or 127 when its program could not be run (see ocicli.ExitCode),
// else 128.
type CreateError struct {
	Msg      string
	ExitCode int
}

func (e *CreateError) Error() string { return "creating container: " + e.Msg }

func lastLine(b []byte) string {
	s := string(b)
	for len(s) > 0 && s[len(s)-1] == '\n' {
		s = s[:len(s)-1]
	}
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '\n' {
			return s[i+1:]
		}
	}
	if s == "" {
		return "no message"
	}
	return s
}
