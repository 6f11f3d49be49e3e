package container

import (
	"fmt"

	"github.com/cais-project/cais/internal/errdefs"
)

// Pause freezes every process of the container through the cgroup freezer.
// As with runc, a running or a created container can be paused; anything
// else is an errdefs.ErrConflict. Status then reports Paused.
func (c *Container) Pause() error {
	unlock, err := c.lock()
	if err != nil {
		return err
	}
	defer unlock()
	if st := c.Status(); st != Running && st != Created {
		return fmt.Errorf("container %s is not running (%s): %w", c.state.ID, st, errdefs.ErrConflict)
	}
	m, err := c.cgroup()
	if err != nil {
		return err
	}
	if err := m.Freeze(); err != nil {
		// A half-frozen cgroup is worse than a running one.
		m.Thaw()
		return fmt.Errorf("pausing container %s: %w", c.state.ID, err)
	}
	return nil
}

// Resume thaws a paused container. A container that is not paused is an
// errdefs.ErrConflict.
func (c *Container) Resume() error {
	unlock, err := c.lock()
	if err != nil {
		return err
	}
	defer unlock()
	if st := c.Status(); st != Paused {
		return fmt.Errorf("container %s is not paused (%s): %w", c.state.ID, st, errdefs.ErrConflict)
	}
	m, err := c.cgroup()
	if err != nil {
		return err
	}
	if err := m.Thaw(); err != nil {
		return fmt.Errorf("resuming container %s: %w", c.state.ID, err)
	}
	return nil
}
