package ocicli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cais-project/cais/internal/errdefs"
)

// Error is a failed runtime command: which verb, for which container, and
// the message the runtime gave (its --log error, else its stderr).
type Error struct {
	Op      string // the runtime verb, e.g. "create"
	ID      string // the container ID, if the verb has one
	Msg     string // the runtime's message, trimmed
	Status  int    // the runtime's exit status, -1 if it did not exit
	class   error
	process error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("runtime ")
	b.WriteString(e.Op)
	if e.ID != "" {
		b.WriteString(" " + e.ID)
	}
	b.WriteString(": ")
	switch {
	case e.Msg != "":
		b.WriteString(e.Msg)
	case e.process != nil:
		b.WriteString(e.process.Error())
	default:
		fmt.Fprintf(&b, "exit status %d", e.Status)
	}
	return b.String()
}

// Unwrap returns the errdefs class of the failure (if any) and the error
// of running the process.
func (e *Error) Unwrap() []error {
	var errs []error
	if e.class != nil {
		errs = append(errs, e.class)
	}
	if e.process != nil {
		errs = append(errs, e.process)
	}
	return errs
}

// ErrCommandNotFound and ErrCommandNotExecutable classify a failed create or
// exec whose program could not be found or run; ExitCode maps them to 127
// and 126.
var (
	ErrCommandNotFound      = errors.New("command not found")
	ErrCommandNotExecutable = errors.New("command not executable")
)

// ExitCode returns the exit status a CLI should report when err kept a
// container's program from running, as Docker and Podman do: 127 when the
// executable was not found, 126 when it could not be executed, and 0 when
// err says neither (the caller picks its own code then).
func ExitCode(err error) int {
	switch {
	case errors.Is(err, ErrCommandNotFound):
		return 127
	case errors.Is(err, ErrCommandNotExecutable):
		return 126
	}
	return 0
}

// classify picks the error classes a runtime message belongs to. The
// runtimes word these differently, so this matches the phrases runc, crun
// and cais-runtime share.
func classify(op, msg string) error {
	m := strings.ToLower(msg)
	execing := op == "create" || op == "run" || op == "exec" || op == "start"
	switch {
	case execing && (strings.Contains(m, "executable file not found") ||
		strings.Contains(m, "no such file or directory") && isExecMessage(m)):
		return errors.Join(ErrCommandNotFound, errdefs.ErrNotFound)
	case execing && strings.Contains(m, "permission denied") && isExecMessage(m):
		return errors.Join(ErrCommandNotExecutable, errdefs.ErrPermission)
	case strings.Contains(m, "does not exist") || strings.Contains(m, "not found") ||
		strings.Contains(m, "no such container"):
		return errdefs.ErrNotFound
	case strings.Contains(m, "already exists"):
		return errdefs.ErrAlreadyExists
	case strings.Contains(m, "not running") || strings.Contains(m, "is not paused") ||
		strings.Contains(m, "cannot ") && strings.Contains(m, "running"):
		return errdefs.ErrConflict
	case strings.Contains(m, "permission denied"):
		return errdefs.ErrPermission
	}
	return nil
}

// isExecMessage reports whether a message is about running the
// container's program rather than, say, a missing bundle file.
func isExecMessage(m string) bool {
	for _, w := range []string{"exec", "starting container process", "executable", "lookup"} {
		if strings.Contains(m, w) {
			return true
		}
	}
	return false
}
