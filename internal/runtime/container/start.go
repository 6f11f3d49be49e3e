package container

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/runtime/hooks"
)

// Start runs the user's process of a created container: it opens the exec
// fifo the init blocks on, which lets the init exec. Poststart hooks run
// after; their failures are returned as warnings, as the spec says.
func (c *Container) Start(ctx context.Context) (warnings []error, err error) {
	unlock, err := c.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	if st := c.Status(); st != Created {
		return nil, fmt.Errorf("cannot start a container that is %s: %w", st, errdefs.ErrConflict)
	}
	fifoPath := filepath.Join(c.dir, fifoFile)
	// Non-blocking open would fail without a writer; the init holds the
	// write side open-pending, so a blocking open returns at once.
	f, err := os.OpenFile(fifoPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("opening the exec fifo: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("reading the exec fifo: %w", err)
	}
	os.Remove(fifoPath)
	if len(b) == 0 {
		return nil, fmt.Errorf("cannot start container %s: its init exited before starting the process", c.state.ID)
	}
	if h := c.state.Spec.Hooks; h != nil && len(h.Poststart) > 0 {
		st := c.OCIState().State
		st.Status = specs.StateRunning
		if err := hooks.RunAll(ctx, "poststart", h.Poststart, &st); err != nil {
			warnings = append(warnings, err)
		}
	}
	return warnings, nil
}
