package metadata

import (
	"fmt"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/cais-project/cais/internal/errdefs"
)

// OpenReadOnly opens <root>/meta.db for reading only: bbolt takes a
// shared file lock, so readers in several processes (concurrent `cais
// run`s resolving their image) no longer wait for each other, and it skips
// loading the free list a writer needs. Writes through the returned Store
// fail. A database that does not exist yet, or has no images bucket, is
// reported as not found (errdefs.ErrNotFound): the caller falls back to
// Open, which creates it.
func OpenReadOnly(root string) (*Store, error) {
	db, err := bolt.Open(filepath.Join(root, "meta.db"), 0o600, &bolt.Options{Timeout: 30 * time.Second, ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("opening image metadata read-only: %v: %w", err, errdefs.ErrNotFound)
	}
	var have bool
	db.View(func(tx *bolt.Tx) error { have = tx.Bucket(bucketImages) != nil; return nil })
	if !have {
		db.Close()
		return nil, fmt.Errorf("image metadata has no images bucket yet: %w", errdefs.ErrNotFound)
	}
	return &Store{db: db}, nil
}
