package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cais-project/cais/internal/image/content"
	"github.com/cais-project/cais/internal/image/registry"
)

// Options configure an Engine. The zero value is usable.
type Options struct {
	// Root holds durable state (default /var/lib/cais).
	Root string
	// RunRoot holds state that dies with the machine (default /run/cais).
	RunRoot string
	// InsecureRegistries may be reached over plain HTTP ("host" or
	// "host:port"); loopback registries always may.
	InsecureRegistries []string
	// RegistryMirrors are tried in order, before Docker Hub itself, for
	// pulls of Docker Hub images ("http[s]://host[:port]"), as dockerd's
	// registry-mirrors are. Other registries are never mirrored. A mirror
	// given as http:// may be reached over plain HTTP.
	RegistryMirrors []string
	// ImageInUse reports whether something beyond the engine's own
	// containers uses the image with this ID ("sha256:..."), so RemoveImage
	// and Prune leave it alone. The engine always consults its container
	// records; nil adds nothing to them.
	ImageInUse func(ctx context.Context, id string) (bool, error)
	// CNIPath lists the directories holding CNI plugins; empty is
	// /usr/lib/cni then /opt/cni/bin.
	CNIPath []string
}

// Engine is the facade over cais's stores. Its methods are safe for
// concurrent use, and several processes may use the same Root at once.
type Engine struct {
	opts    Options
	content *content.Store
	images  *imageDB
	snaps   *snapshotDB
}

// New prepares the directories under opts.Root and opts.RunRoot. It opens
// no database: each operation does, briefly.
func New(ctx context.Context, opts Options) (*Engine, error) {
	if opts.Root == "" {
		opts.Root = "/var/lib/cais"
	}
	if opts.RunRoot == "" {
		opts.RunRoot = "/run/cais"
	}
	for _, d := range []string{opts.Root, opts.RunRoot, filepath.Join(opts.Root, "image"), filepath.Join(opts.Root, "snapshots")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("creating engine state: %w", err)
		}
	}
	for _, m := range opts.RegistryMirrors {
		if _, _, err := parseMirror(m); err != nil {
			return nil, err
		}
	}
	cs, err := content.NewStore(filepath.Join(opts.Root, "content"))
	if err != nil {
		return nil, err
	}
	return &Engine{
		opts:    opts,
		content: cs,
		images:  &imageDB{root: filepath.Join(opts.Root, "image")},
		snaps:   &snapshotDB{root: filepath.Join(opts.Root, "snapshots")},
	}, nil
}

// Close releases the engine. It holds nothing open between operations, so
// this only exists so callers need not know that.
func (e *Engine) Close() error { return nil }

// Root and RunRoot are the engine's state directories.
func (e *Engine) Root() string    { return e.opts.Root }
func (e *Engine) RunRoot() string { return e.opts.RunRoot }

func (e *Engine) registryStore() registry.Store {
	return registry.Store{Content: e.content, Images: e.images}
}

// lockShared is held by operations that add data GC could mistake for
// garbage before its record exists; lockGC by GC itself.
func (e *Engine) lockShared() (func(), error) {
	return fileLock(filepath.Join(e.opts.Root, "gc.lock"), false)
}

func (e *Engine) lockGC() (func(), error) {
	return fileLock(filepath.Join(e.opts.Root, "gc.lock"), true)
}

func (e *Engine) inUse(ctx context.Context, id string) (bool, error) {
	if c, err := e.imageUser(id); err != nil || c != nil {
		return c != nil, err
	}
	if e.opts.ImageInUse == nil {
		return false, nil
	}
	return e.opts.ImageInUse(ctx, id)
}
