package hooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/errdefs"
)

const (
	// stderrKeep is how much of a hook's stderr is kept for the error.
	stderrKeep = 4096
	// stderrLines is how many of its lines the error quotes.
	stderrLines = 5
	// ioGrace is how long Run waits, once the hook has exited, for
	// processes it left behind to close its stderr.
	ioGrace = time.Second
)

// Run runs one hook of the given kind ("prestart", "poststop", ...) with
// the state JSON on its stdin and waits for it to exit.
//
// The hook runs with argv exactly h.Args (h.Args[0] is argv[0]; h.Path
// when h.Args is empty) and environment exactly h.Env (empty when nil;
// never the runtime's own). It gets its own process group; when h.Timeout
// seconds pass, or ctx is done, the whole group is killed. Its stdout is
// discarded.
//
// An error names the kind, the path and what happened: the exit status with
// the first lines of the hook's stderr, "timed out after Ns", a failure to
// start, or ctx's error. A hook that is not an absolute path or has a
// timeout that is not positive is an errdefs.ErrInvalidArgument error.
func Run(ctx context.Context, kind string, h specs.Hook, state *specs.State) error {
	errorf := func(format string, a ...any) error {
		return fmt.Errorf("hook %s %s: "+format, append([]any{kind, h.Path}, a...)...)
	}
	if !filepath.IsAbs(h.Path) {
		return errorf("path is not absolute: %w", errdefs.ErrInvalidArgument)
	}
	stdin, err := json.Marshal(state)
	if err != nil {
		return errorf("encoding state: %w", err)
	}

	runCtx := ctx
	var timeout time.Duration
	if h.Timeout != nil {
		if *h.Timeout <= 0 {
			return errorf("timeout %d is not positive: %w", *h.Timeout, errdefs.ErrInvalidArgument)
		}
		timeout = time.Duration(*h.Timeout) * time.Second
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}

	var stderr limitedBuffer
	cmd := command(runCtx, h)
	cmd.Stdin = bytes.NewReader(stdin)
	cmd.Stderr = &stderr

	if err := cmd.Start(); err != nil {
		return errorf("starting: %w", err)
	}
	err = cmd.Wait()
	if errors.Is(err, exec.ErrWaitDelay) {
		// The hook succeeded; something it started still holds stderr.
		err = nil
	}
	switch {
	case ctx.Err() != nil:
		return errorf("%w", ctx.Err())
	case runCtx.Err() != nil:
		return errorf("timed out after %s", timeout)
	case err != nil:
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return errorf("%s%s", exitErr.ProcessState, stderr.summary())
		}
		return errorf("%w", err)
	}
	return nil
}

// RunAll runs the hooks of one kind in order and stops at the first error,
// which it returns.
func RunAll(ctx context.Context, kind string, hs []specs.Hook, state *specs.State) error {
	for _, h := range hs {
		if err := Run(ctx, kind, h, state); err != nil {
			return err
		}
	}
	return nil
}

// command builds the hook's process: exact argv and environment, its own
// process group, killed as a group when ctx is done.
func command(ctx context.Context, h specs.Hook) *exec.Cmd {
	cmd := exec.CommandContext(ctx, h.Path)
	if len(h.Args) > 0 {
		cmd.Args = append([]string(nil), h.Args...)
	}
	// A nil Env would make os/exec pass the runtime's environment.
	cmd.Env = append([]string{}, h.Env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// The group id is the hook's pid (Setpgid with Pgid 0).
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = ioGrace
	return cmd
}

// limitedBuffer keeps the first stderrKeep bytes written to it and drops
// the rest, so a chatty hook cannot grow the runtime's memory.
type limitedBuffer struct {
	buf bytes.Buffer
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := stderrKeep - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// summary returns ": stderr: " and the first lines of what was kept, quoted
// so the error stays on one line, or "" when the hook wrote nothing.
func (b *limitedBuffer) summary() string {
	text := strings.TrimSpace(b.buf.String())
	if text == "" {
		return ""
	}
	lines := strings.Split(text, "\n")
	if len(lines) > stderrLines {
		lines = append(lines[:stderrLines], "...")
	}
	return fmt.Sprintf(": stderr: %q", strings.Join(lines, "\n"))
}
