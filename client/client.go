package client

import (
	"context"
	"fmt"

	"github.com/cais-project/cais/internal/engine"
	"github.com/cais-project/cais/internal/errdefs"
)

// Client is a connection to one cais state (root and run root). It holds
// nothing open between calls and is safe for concurrent use; several
// clients and `cais` commands may use the same state at once.
type Client struct {
	eng *engine.Engine
}

// Opt configures New.
type Opt func(*engine.Options) error

// WithRoot sets the directory of durable state: images, snapshots and
// container records (default /var/lib/cais, as `cais --root`).
func WithRoot(dir string) Opt {
	return func(o *engine.Options) error {
		if dir == "" {
			return fmt.Errorf("root: empty path: %w", errdefs.ErrInvalidArgument)
		}
		o.Root = dir
		return nil
	}
}

// WithRunRoot sets the directory of state that dies with the machine:
// bundles, rootfs mounts, monitors (default /run/cais, as `cais --runroot`).
func WithRunRoot(dir string) Opt {
	return func(o *engine.Options) error {
		if dir == "" {
			return fmt.Errorf("run root: empty path: %w", errdefs.ErrInvalidArgument)
		}
		o.RunRoot = dir
		return nil
	}
}

// WithInsecureRegistries lists registries ("host" or "host:port") that may
// be reached over plain HTTP. Registries on a loopback address always may.
func WithInsecureRegistries(hosts ...string) Opt {
	return func(o *engine.Options) error {
		o.InsecureRegistries = append(o.InsecureRegistries, hosts...)
		return nil
	}
}

// New connects to the state named by opts, creating its directories.
func New(ctx context.Context, opts ...Opt) (*Client, error) {
	var o engine.Options
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	e, err := engine.New(ctx, o)
	if err != nil {
		return nil, err
	}
	return &Client{eng: e}, nil
}

// Close releases the client. Containers keep running: each has its own
// monitor process.
func (c *Client) Close() error { return c.eng.Close() }
