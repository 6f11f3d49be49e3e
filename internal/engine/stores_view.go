package engine

import (
	"fmt"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/image/metadata"
)

// view runs fn, which only reads, with the store open read-only: a shared
// file lock, so concurrent readers in other processes do not queue behind
// each other. Before the first image exists there is no database to read;
// then it opens read-write like with (which creates it).
func (d *imageDB) view(fn func(*metadata.Store) error) error {
	d.mu.Lock()
	s, err := metadata.OpenReadOnly(d.root)
	if errdefs.IsNotFound(err) {
		d.mu.Unlock()
		return d.with(fn)
	}
	defer d.mu.Unlock()
	if err != nil {
		return err
	}
	ferr := fn(s)
	if err := s.Close(); err != nil && ferr == nil {
		ferr = fmt.Errorf("closing image metadata: %w", err)
	}
	return ferr
}
