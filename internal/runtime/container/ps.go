package container

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
)

// Processes returns the host pids of every process in the container's
// cgroup (and its sub-cgroups), sorted. A container whose cgroup is gone
// has none. It does not take the lock: it only reads.
func (c *Container) Processes() ([]int, error) {
	m, err := c.cgroup()
	if err != nil {
		return nil, err
	}
	pids, err := m.Pids()
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("listing the processes of container %s: %w", c.state.ID, err)
	}
	slices.Sort(pids)
	return pids, nil
}
