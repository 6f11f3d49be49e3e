package client

import (
	"context"
	"strings"

	"github.com/cais-project/cais/internal/engine"
)

// Image is an image in the client's store.
type Image interface {
	// Name is the full reference, e.g. "docker.io/library/busybox:latest".
	Name() string
	// ID is Docker's image ID: "sha256:" and the config's digest.
	ID() string
}

type image struct{ name, id string }

func (i *image) Name() string { return i.name }
func (i *image) ID() string   { return i.id }

// RemoteOpt configures Pull.
type RemoteOpt func(*engine.PullOptions)

// WithPlatform pulls the image for "os/arch[/variant]" instead of the
// host's platform.
func WithPlatform(platform string) RemoteOpt {
	return func(o *engine.PullOptions) { o.Platform = platform }
}

// Pull fetches ref from its registry into the store and unpacks its layers,
// so containers can be created from it. A failed pull leaves the store as
// it was.
func (c *Client) Pull(ctx context.Context, ref string, opts ...RemoteOpt) (Image, error) {
	var o engine.PullOptions
	for _, opt := range opts {
		opt(&o)
	}
	res, err := c.eng.Pull(ctx, ref, o)
	if err != nil {
		return nil, err
	}
	return &image{name: res.Reference.Name, id: res.ID}, nil
}

// GetImage returns an image already in the store, by reference or ID.
func (c *Client) GetImage(ctx context.Context, ref string) (Image, error) {
	ins, err := c.eng.InspectImage(ctx, ref)
	if err != nil {
		return nil, err
	}
	name := ins.ID // an image asked for by ID is named by it
	if !strings.HasPrefix(ref, "sha256:") {
		if r, err := c.eng.ParseReference(ref); err == nil {
			name = r.Name
		}
	}
	return &image{name: name, id: ins.ID}, nil
}
