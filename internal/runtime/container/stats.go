package container

import (
	"fmt"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/runtime/cgroups"
)

// Stats reads the container's cgroup counters. A stopped container has
// none: that is an errdefs.ErrConflict, as runc's "is not running".
func (c *Container) Stats() (*cgroups.Stats, error) {
	if c.Status() == Stopped {
		return nil, fmt.Errorf("container with id %s is not running: %w", c.state.ID, errdefs.ErrConflict)
	}
	m, err := c.cgroup()
	if err != nil {
		return nil, err
	}
	s, err := m.Stats()
	if err != nil {
		return nil, fmt.Errorf("reading the stats of container %s: %w", c.state.ID, err)
	}
	return s, nil
}
