package client

import (
	"context"
	"fmt"

	"github.com/cais-project/cais/internal/engine"
	"github.com/cais-project/cais/internal/errdefs"
)

// Container is a container in the client's store.
type Container interface {
	// ID is the caller's name for the container.
	ID() string
	// NewTask connects the container's stdio to the caller's; Start then
	// runs its process. After a task was deleted, NewTask runs the process
	// again over the same rootfs.
	NewTask(ctx context.Context, opts ...NewTaskOpts) (Task, error)
	// Delete removes the container: runtime state, rootfs mount and
	// snapshot, record. A running task must be killed and waited for first.
	Delete(ctx context.Context, opts ...DeleteOpts) error
}

type container struct {
	c   *Client
	rec *engine.Container
}

func (c *container) ID() string { return c.rec.Name }

// NewContainer creates container id from the options: it prepares the
// rootfs from the image, writes the container's OCI spec and record, and
// creates it in the runtime, its process waiting for Task.Start. WithImage
// is required. Nothing is left behind when it fails.
func (c *Client) NewContainer(ctx context.Context, id string, opts ...NewContainerOpts) (Container, error) {
	if id == "" {
		return nil, fmt.Errorf("container id: empty: %w", errdefs.ErrInvalidArgument)
	}
	// The network default is containerd's: a namespace of the container's
	// own, with only loopback. The stdin pipe is always made; a task
	// without stdin closes it at once.
	o := engine.RunOptions{Name: id, Network: "none", Interactive: true}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("container %s: %w", id, err)
		}
	}
	if o.Image == "" {
		return nil, fmt.Errorf("container %s: no image (use WithImage): %w", id, errdefs.ErrInvalidArgument)
	}
	rec, err := c.eng.CreateContainer(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("container %s: %w", id, err)
	}
	return &container{c: c, rec: rec}, nil
}

// LoadContainer returns container id, made by this or another client (or
// by `cais create`/`run`, by name or ID).
func (c *Client) LoadContainer(ctx context.Context, id string) (Container, error) {
	rec, err := c.eng.FindContainer(ctx, id)
	if err != nil {
		return nil, err
	}
	return &container{c: c, rec: rec}, nil
}

// DeleteOpts configure Container.Delete.
type DeleteOpts func(*deleteOptions)

type deleteOptions struct{ snapshotCleanup bool }

// WithSnapshotCleanup removes the container's rootfs snapshot with it.
// cais always does (the snapshot belongs to the container); the option
// exists so programs written for containerd read the same.
func WithSnapshotCleanup(o *deleteOptions) { o.snapshotCleanup = true }

func (c *container) Delete(ctx context.Context, opts ...DeleteOpts) error {
	var o deleteOptions
	for _, opt := range opts {
		opt(&o)
	}
	st, err := c.c.eng.State(ctx, c.rec)
	if err != nil {
		return fmt.Errorf("container %s: %w", c.ID(), err)
	}
	switch st.State {
	case "exited":
	case "created":
		// Its process never ran the program: removing it kills nothing
		// of the caller's.
	default:
		return fmt.Errorf("container %s: its task is %s: kill it and wait first: %w", c.ID(), st.State, errdefs.ErrConflict)
	}
	if err := c.c.eng.RemoveContainer(ctx, c.rec, true); err != nil {
		return fmt.Errorf("container %s: %w", c.ID(), err)
	}
	return nil
}
