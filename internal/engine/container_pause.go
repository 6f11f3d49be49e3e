package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cais-project/cais/internal/engine/monitor"
	"github.com/cais-project/cais/internal/errdefs"
)

// StatePaused is the state of a running container whose processes the
// runtime has frozen. The monitor does not know it (to the monitor the
// container runs): the engine marks a pause in the container's run
// directory and asks the runtime whether it still holds.
const StatePaused = "paused"

func (e *Engine) pausedMarker(id string) string { return filepath.Join(e.runDir(id), "paused") }

// isPaused reports whether the runtime has the running container c
// frozen. Only containers the engine paused are asked about, so ps costs
// no runtime call per container.
func (e *Engine) isPaused(ctx context.Context, c *Container) bool {
	if _, err := os.Stat(e.pausedMarker(c.ID)); err != nil {
		return false
	}
	st, err := c.runtime().State(ctx, c.ID)
	if err != nil {
		return false
	}
	if st.Status != "paused" {
		os.Remove(e.pausedMarker(c.ID)) // thawed behind our back, or a new instance
		return false
	}
	return true
}

// PauseContainer freezes every process of a running container (runtime
// pause). A paused container is an errdefs.ErrConflict, as is one that
// does not run.
func (e *Engine) PauseContainer(ctx context.Context, c *Container) error {
	st, err := e.State(ctx, c)
	if err != nil {
		return err
	}
	switch st.State {
	case StatePaused:
		return fmt.Errorf("container %s is already paused: %w", c.ID, errdefs.ErrConflict)
	case monitor.StateRunning:
	default:
		return fmt.Errorf("container %s is not running: %w", c.ID, errdefs.ErrConflict)
	}
	// The marker goes first: a pause that succeeds must never be invisible.
	if err := os.WriteFile(e.pausedMarker(c.ID), nil, 0o600); err != nil {
		return fmt.Errorf("pausing %s: %w", c.Name, err)
	}
	if err := c.runtime().Pause(ctx, c.ID); err != nil {
		os.Remove(e.pausedMarker(c.ID))
		return fmt.Errorf("pausing %s: %w", c.Name, err)
	}
	return nil
}

// UnpauseContainer thaws a paused container (runtime resume); one that is
// not paused is an errdefs.ErrConflict.
func (e *Engine) UnpauseContainer(ctx context.Context, c *Container) error {
	if !e.isPaused(ctx, c) {
		return fmt.Errorf("container %s is not paused: %w", c.ID, errdefs.ErrConflict)
	}
	return e.resume(ctx, c)
}

func (e *Engine) resume(ctx context.Context, c *Container) error {
	if err := c.runtime().Resume(ctx, c.ID); err != nil {
		return fmt.Errorf("unpausing %s: %w", c.Name, err)
	}
	if err := os.Remove(e.pausedMarker(c.ID)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("unpausing %s: %w", c.Name, err)
	}
	return nil
}

// thawForStop resumes a paused container so that a stop, a kill or a
// forced removal reaches its processes, as Docker does.
func (e *Engine) thawForStop(ctx context.Context, c *Container) error {
	if !e.isPaused(ctx, c) {
		return nil
	}
	return e.resume(ctx, c)
}

// withPause turns a running state into paused when the runtime has the
// container frozen.
func (e *Engine) withPause(ctx context.Context, c *Container, cs ContainerState) ContainerState {
	if cs.State == monitor.StateRunning && e.isPaused(ctx, c) {
		cs.State = StatePaused
	}
	return cs
}
