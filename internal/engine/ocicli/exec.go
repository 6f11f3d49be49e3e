package ocicli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ExecOpts are the options of Exec. All are optional.
type ExecOpts struct {
	// Detach returns once the process runs (--detach); otherwise Exec
	// waits for it to exit.
	Detach bool
	// PidFile receives the new process's pid.
	PidFile string
	// ConsoleSocket receives the pty master when process.Terminal is set.
	ConsoleSocket string
	// IO is the process's stdio when process.Terminal is false.
	IO *IO
}

// ExitStatusError is the non-zero exit status of a process Exec waited
// for: the process ran, the runtime did not fail.
type ExitStatusError struct{ Code int }

func (e *ExitStatusError) Error() string { return fmt.Sprintf("process exited with status %d", e.Code) }

// Exec runs process in the running container id. Without Detach it
// returns when the process exits: nil for status 0, *ExitStatusError for
// another status, *Error when the runtime could not run it.
func (r Runtime) Exec(ctx context.Context, id string, process specs.Process, opts ExecOpts) error {
	f, err := os.CreateTemp("", "ocicli-process-")
	if err != nil {
		return fmt.Errorf("writing process spec: %w", err)
	}
	defer os.Remove(f.Name())
	err = json.NewEncoder(f).Encode(process)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing process spec: %w", err)
	}
	args := []string{"--process", f.Name()}
	if opts.Detach {
		args = append(args, "--detach")
	}
	if opts.PidFile != "" {
		args = append(args, "--pid-file", opts.PidFile)
	}
	if opts.ConsoleSocket != "" {
		args = append(args, "--console-socket", opts.ConsoleSocket)
	}
	_, err = r.run(ctx, call{op: "exec", id: id, args: append(args, id), io: ioOrEmpty(opts.IO)})
	var e *Error
	// A runtime that waited for the process exits with its status and
	// logs no error of its own.
	if !opts.Detach && errors.As(err, &e) && e.Msg == "" && e.Status > 0 && e.process == nil {
		return &ExitStatusError{Code: e.Status}
	}
	return err
}

// ExitStatus returns the status of an exec'd process from Exec's error:
// 0 for nil, the code of an *ExitStatusError, and -1 otherwise.
func ExitStatus(err error) int {
	var s *ExitStatusError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &s):
		return s.Code
	}
	return -1
}
