package engine

import (
	"context"
	"fmt"
	"sync"

	"github.com/cais-project/cais/internal/image/metadata"
	"github.com/cais-project/cais/internal/image/snapshots"
	"github.com/cais-project/cais/internal/image/snapshots/overlay"
	"github.com/cais-project/cais/internal/mount"
)

// imageDB is the image record store, opened for each operation and closed
// right after, so other cais processes are never locked out for longer than
// one transaction. Within this process a mutex orders the openings (bbolt's
// file lock would otherwise make a second open in the same process wait
// for the first).
type imageDB struct {
	root string
	mu   sync.Mutex
}

// with runs fn with the store open. Several calls made inside one fn are
// atomic against other processes too, since the file lock is held
// throughout; fn must not do long work.
func (d *imageDB) with(fn func(*metadata.Store) error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, err := metadata.Open(d.root)
	if err != nil {
		return err
	}
	ferr := fn(s)
	if err := s.Close(); err != nil && ferr == nil {
		ferr = fmt.Errorf("closing image metadata: %w", err)
	}
	return ferr
}

func (d *imageDB) Get(ctx context.Context, name string) (img metadata.Image, err error) {
	err = d.view(func(s *metadata.Store) error { img, err = s.Get(ctx, name); return err })
	return img, err
}

func (d *imageDB) Create(ctx context.Context, in metadata.Image) (img metadata.Image, err error) {
	err = d.with(func(s *metadata.Store) error { img, err = s.Create(ctx, in); return err })
	return img, err
}

func (d *imageDB) Update(ctx context.Context, in metadata.Image, fields ...string) (img metadata.Image, err error) {
	err = d.with(func(s *metadata.Store) error { img, err = s.Update(ctx, in, fields...); return err })
	return img, err
}

func (d *imageDB) List(ctx context.Context) (imgs []metadata.Image, err error) {
	err = d.view(func(s *metadata.Store) error { imgs, err = s.List(ctx); return err })
	return imgs, err
}

// snapshotDB is the overlay snapshotter opened for each call, for the same
// reason as imageDB. Each method holds the database for its whole body, so
// the snapshotter's start-up cleanup in another process never sees a
// half-made snapshot directory. Between Prepare and Commit (while a layer
// is extracted) no database is open.
type snapshotDB struct {
	root string
	mu   sync.Mutex
}

func (d *snapshotDB) with(fn func(*overlay.Snapshotter) error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, err := overlay.New(d.root)
	if err != nil {
		return err
	}
	ferr := fn(s)
	if err := s.Close(); err != nil && ferr == nil {
		ferr = fmt.Errorf("closing snapshot database: %w", err)
	}
	return ferr
}

func (d *snapshotDB) Stat(ctx context.Context, key string) (info snapshots.Info, err error) {
	err = d.with(func(s *overlay.Snapshotter) error { info, err = s.Stat(ctx, key); return err })
	return info, err
}

func (d *snapshotDB) Usage(ctx context.Context, key string) (u snapshots.Usage, err error) {
	err = d.with(func(s *overlay.Snapshotter) error { u, err = s.Usage(ctx, key); return err })
	return u, err
}

func (d *snapshotDB) Prepare(ctx context.Context, key, parent string, opts ...snapshots.Opt) (ms []mount.Mount, err error) {
	err = d.with(func(s *overlay.Snapshotter) error { ms, err = s.Prepare(ctx, key, parent, opts...); return err })
	return ms, err
}

func (d *snapshotDB) Commit(ctx context.Context, name, key string, opts ...snapshots.Opt) error {
	return d.with(func(s *overlay.Snapshotter) error { return s.Commit(ctx, name, key, opts...) })
}

func (d *snapshotDB) Remove(ctx context.Context, key string) error {
	return d.with(func(s *overlay.Snapshotter) error { return s.Remove(ctx, key) })
}
