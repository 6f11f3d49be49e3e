package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/cais-project/cais/internal/errdefs"
)

// imageUser is a container whose record names the image id ("sha256:..."),
// running or not; nil when none does. Records are the engine's own, so no
// caller has to tell it which images are in use.
func (e *Engine) imageUser(id string) (*Container, error) {
	cs, err := e.listContainers()
	if err != nil {
		return nil, fmt.Errorf("listing containers: %w", err)
	}
	for _, c := range cs {
		if c.ImageID == id {
			return c, nil
		}
	}
	return nil, nil
}

// ContainerPruneResult says what PruneContainers removed.
type ContainerPruneResult struct {
	Deleted        []string // container IDs
	SpaceReclaimed int64    // bytes of their writable layers
}

// PruneContainers removes every exited container, as `container prune`
// does; running, restarting and created ones stay. A container that fails
// to go is reported in the error after the others are tried.
func (e *Engine) PruneContainers(ctx context.Context) (ContainerPruneResult, error) {
	var res ContainerPruneResult
	cs, err := e.ListContainers(ctx, true)
	if err != nil {
		return res, err
	}
	var errs []error
	for _, s := range cs {
		if s.State != "exited" {
			continue
		}
		c := s.Container
		var size int64
		if u, err := e.snaps.Usage(ctx, c.SnapshotKey); err == nil {
			size = u.Size
		}
		if err := e.removeContainer(ctx, &c, false, false); err != nil {
			if errors.Is(err, errdefs.ErrConflict) {
				continue // it started again meanwhile
			}
			errs = append(errs, fmt.Errorf("removing %s: %w", c.Name, err))
			continue
		}
		res.Deleted = append(res.Deleted, c.ID)
		res.SpaceReclaimed += size
	}
	return res, errors.Join(errs...)
}
