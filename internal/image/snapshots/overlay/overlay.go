package overlay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/image/snapshots"
	"github.com/cais-project/cais/internal/mount"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

var bucketName = []byte("snapshots")

// Snapshotter stores overlayfs snapshots under one root directory.
type Snapshotter struct {
	root string
	db   *bolt.DB
}

var _ snapshots.Snapshotter = (*Snapshotter)(nil)

// record is what the database keeps per snapshot, under its name.
type record struct {
	ID      uint64            `json:"id"`
	Kind    snapshots.Kind    `json:"kind"`
	Parent  string            `json:"parent,omitempty"`
	Labels  map[string]string `json:"labels,omitempty"`
	Created time.Time         `json:"created"`
	Updated time.Time         `json:"updated"`
	Usage   snapshots.Usage   `json:"usage"`
}

// New opens (creating if needed) the snapshotter rooted at root, and
// removes directories that a crash left behind without a record.
func New(root string) (*Snapshotter, error) {
	if err := os.MkdirAll(filepath.Join(root, "snapshots"), 0o700); err != nil {
		return nil, fmt.Errorf("creating snapshotter root: %w", err)
	}
	db, err := bolt.Open(filepath.Join(root, "metadata.db"), 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("snapshot database in %s is held by another process: %w", root, errdefs.ErrUnavailable)
	}
	if err != nil {
		return nil, fmt.Errorf("opening snapshot database: %w", err)
	}
	s := &Snapshotter{root: root, db: db}
	// Only a new database needs the bucket: an Update commits (two
	// fdatasyncs) even when it changes nothing.
	var have bool
	db.View(func(tx *bolt.Tx) error { have = tx.Bucket(bucketName) != nil; return nil })
	if !have {
		err = db.Update(func(tx *bolt.Tx) error {
			_, err := tx.CreateBucketIfNotExists(bucketName)
			return err
		})
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("initialising snapshot database: %w", err)
	}
	if err := s.cleanup(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Snapshotter) Close() error { return s.db.Close() }

func (s *Snapshotter) dir(id uint64) string {
	return filepath.Join(s.root, "snapshots", strconv.FormatUint(id, 10))
}

func (s *Snapshotter) fs(id uint64) string { return filepath.Join(s.dir(id), "fs") }

// Stat returns the snapshot's description.
func (s *Snapshotter) Stat(ctx context.Context, key string) (snapshots.Info, error) {
	var info snapshots.Info
	err := s.db.View(func(tx *bolt.Tx) error {
		r, err := get(tx, key)
		if err != nil {
			return err
		}
		info = r.info(key)
		return nil
	})
	return info, err
}

// Usage returns the space the snapshot's own layer takes.
func (s *Snapshotter) Usage(ctx context.Context, key string) (snapshots.Usage, error) {
	var r record
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		r, err = get(tx, key)
		return err
	})
	if err != nil {
		return snapshots.Usage{}, err
	}
	if r.Kind == snapshots.KindCommitted {
		return r.Usage, nil
	}
	return diskUsage(s.fs(r.ID))
}

// Mounts returns the mounts of an active snapshot or view.
func (s *Snapshotter) Mounts(ctx context.Context, key string) ([]mount.Mount, error) {
	var ms []mount.Mount
	err := s.db.View(func(tx *bolt.Tx) error {
		r, err := get(tx, key)
		if err != nil {
			return err
		}
		if r.Kind == snapshots.KindCommitted {
			return fmt.Errorf("snapshot %q is committed, not mountable: %w", key, errdefs.ErrConflict)
		}
		parents, err := parentIDs(tx, r.Parent)
		if err != nil {
			return err
		}
		ms = s.mounts(r, parents)
		return nil
	})
	return ms, err
}

// Prepare creates an active snapshot on parent.
func (s *Snapshotter) Prepare(ctx context.Context, key, parent string, opts ...snapshots.Opt) ([]mount.Mount, error) {
	return s.create(snapshots.KindActive, key, parent, opts)
}

// View creates a read-only snapshot of parent.
func (s *Snapshotter) View(ctx context.Context, key, parent string, opts ...snapshots.Opt) ([]mount.Mount, error) {
	return s.create(snapshots.KindView, key, parent, opts)
}

func (s *Snapshotter) create(kind snapshots.Kind, key, parent string, opts []snapshots.Opt) ([]mount.Mount, error) {
	if key == "" {
		return nil, fmt.Errorf("empty snapshot key: %w", errdefs.ErrInvalidArgument)
	}
	now := time.Now().UTC()
	info := snapshots.Info{Kind: kind, Name: key, Parent: parent, Created: now, Updated: now}
	for _, o := range opts {
		if err := o(&info); err != nil {
			return nil, err
		}
	}
	if info.Parent != parent {
		return nil, fmt.Errorf("creating snapshot %q: WithParent is a Commit option, the parent is %q: %w", key, parent, errdefs.ErrInvalidArgument)
	}
	tmp, err := os.MkdirTemp(filepath.Join(s.root, "snapshots"), "new-")
	if err != nil {
		return nil, fmt.Errorf("creating snapshot dir: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed into place
	for _, d := range []string{"fs", "work"} {
		if err := os.Mkdir(filepath.Join(tmp, d), 0o755); err != nil {
			return nil, fmt.Errorf("creating snapshot dir: %w", err)
		}
	}
	if err := os.Chmod(tmp, 0o700); err != nil {
		return nil, err
	}
	var ms []mount.Mount
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketName)
		if b.Get([]byte(key)) != nil {
			return fmt.Errorf("snapshot %q: %w", key, errdefs.ErrAlreadyExists)
		}
		var parents []uint64
		if parent != "" {
			p, err := get(tx, parent)
			if err != nil {
				return fmt.Errorf("parent: %w", err)
			}
			if p.Kind != snapshots.KindCommitted {
				return fmt.Errorf("parent %q is %s, not committed: %w", parent, p.Kind, errdefs.ErrConflict)
			}
			if parents, err = parentIDs(tx, parent); err != nil {
				return err
			}
		}
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		r := record{ID: id, Kind: kind, Parent: parent, Labels: info.Labels, Created: now, Updated: now}
		if err := put(tx, key, r); err != nil {
			return err
		}
		if err := os.Rename(tmp, s.dir(id)); err != nil {
			return fmt.Errorf("creating snapshot dir: %w", err)
		}
		ms = s.mounts(r, parents)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("creating snapshot %q: %w", key, err)
	}
	return ms, nil
}

// Commit turns the active snapshot key into the committed snapshot name.
func (s *Snapshotter) Commit(ctx context.Context, name, key string, opts ...snapshots.Opt) error {
	if name == "" {
		return fmt.Errorf("empty snapshot name: %w", errdefs.ErrInvalidArgument)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		r, err := get(tx, key)
		if err != nil {
			return err
		}
		if r.Kind != snapshots.KindActive {
			return fmt.Errorf("snapshot %q is %s, not active: %w", key, r.Kind, errdefs.ErrConflict)
		}
		if tx.Bucket(bucketName).Get([]byte(name)) != nil {
			return fmt.Errorf("snapshot %q: %w", name, errdefs.ErrAlreadyExists)
		}
		info := r.info(name)
		for _, o := range opts {
			if err := o(&info); err != nil {
				return err
			}
		}
		if info.Parent != r.Parent {
			if err := rebase(tx, &r, key, name, info.Parent); err != nil {
				return err
			}
		}
		if r.Usage, err = diskUsage(s.fs(r.ID)); err != nil {
			return err
		}
		r.Kind, r.Labels, r.Updated = snapshots.KindCommitted, info.Labels, time.Now().UTC()
		// The work dir is only for mounting as upper; a committed layer
		// is only ever a lowerdir.
		if err := os.RemoveAll(filepath.Join(s.dir(r.ID), "work")); err != nil {
			return err
		}
		if err := tx.Bucket(bucketName).Delete([]byte(key)); err != nil {
			return err
		}
		return put(tx, name, r)
	})
	if err != nil {
		return fmt.Errorf("committing %q as %q: %w", key, name, err)
	}
	return nil
}

// rebase puts the detached active snapshot r (key, to be committed as name)
// on parent, which must be committed.
func rebase(tx *bolt.Tx, r *record, key, name, parent string) error {
	if r.Parent != "" {
		return fmt.Errorf("snapshot %q was prepared on %q, cannot commit it on %q: %w", key, r.Parent, parent, errdefs.ErrConflict)
	}
	if parent == name || parent == key {
		return fmt.Errorf("snapshot %q cannot be its own parent: %w", name, errdefs.ErrInvalidArgument)
	}
	p, err := get(tx, parent)
	if err != nil {
		return fmt.Errorf("parent: %w", err)
	}
	if p.Kind != snapshots.KindCommitted {
		return fmt.Errorf("parent %q is %s, not committed: %w", parent, p.Kind, errdefs.ErrConflict)
	}
	r.Parent = parent
	return nil
}

// Remove deletes a snapshot that no other snapshot has as parent.
func (s *Snapshotter) Remove(ctx context.Context, key string) error {
	var gone string
	err := s.db.Update(func(tx *bolt.Tx) error {
		r, err := get(tx, key)
		if err != nil {
			return err
		}
		c := tx.Bucket(bucketName).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			var o record
			if err := json.Unmarshal(v, &o); err != nil {
				return err
			}
			if o.Parent == key {
				return fmt.Errorf("snapshot %q is the parent of %q: %w", key, k, errdefs.ErrConflict)
			}
		}
		if err := tx.Bucket(bucketName).Delete([]byte(key)); err != nil {
			return err
		}
		gone = filepath.Join(s.root, "snapshots", "rm-"+strconv.FormatUint(r.ID, 10))
		return os.Rename(s.dir(r.ID), gone)
	})
	if err != nil {
		return fmt.Errorf("removing snapshot %q: %w", key, err)
	}
	if err := os.RemoveAll(gone); err != nil {
		return fmt.Errorf("removing snapshot %q data: %w", key, err)
	}
	return nil
}

// Walk calls fn for every snapshot. fn runs outside any database
// transaction, so it may call the snapshotter.
func (s *Snapshotter) Walk(ctx context.Context, fn snapshots.WalkFunc) error {
	var infos []snapshots.Info
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketName).ForEach(func(k, v []byte) error {
			var r record
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("snapshot %q: %w", k, err)
			}
			infos = append(infos, r.info(string(k)))
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, i := range infos {
		if err := fn(ctx, i); err != nil {
			return err
		}
	}
	return nil
}

// mounts describes how to mount snapshot r whose parents' ids, nearest
// first, are parents.
func (s *Snapshotter) mounts(r record, parents []uint64) []mount.Mount {
	access := "rw"
	if r.Kind == snapshots.KindView {
		access = "ro"
	}
	switch {
	case len(parents) == 0:
		return []mount.Mount{{Type: "bind", Source: s.fs(r.ID), Options: []string{access, "rbind"}}}
	case r.Kind == snapshots.KindView && len(parents) == 1:
		return []mount.Mount{{Type: "bind", Source: s.fs(parents[0]), Options: []string{"ro", "rbind"}}}
	}
	lower := make([]string, len(parents))
	for i, id := range parents {
		lower[i] = s.fs(id)
	}
	var opts []string
	if r.Kind == snapshots.KindView {
		opts = []string{"ro"}
	} else {
		opts = []string{"workdir=" + filepath.Join(s.dir(r.ID), "work"), "upperdir=" + s.fs(r.ID)}
	}
	opts = append(opts, "lowerdir="+strings.Join(lower, ":"))
	return []mount.Mount{{Type: "overlay", Source: "overlay", Options: opts}}
}

// cleanup removes snapshot dirs that have no record: leftovers of a crash
// between creating a dir and committing its record, or of a removal.
func (s *Snapshotter) cleanup() error {
	dir := filepath.Join(s.root, "snapshots")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("listing snapshots: %w", err)
	}
	known := map[string]bool{}
	err = s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketName).ForEach(func(k, v []byte) error {
			var r record
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			known[strconv.FormatUint(r.ID, 10)] = true
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("reading snapshot records: %w", err)
	}
	for _, e := range entries {
		if !known[e.Name()] {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("removing leftover snapshot dir: %w", err)
			}
		}
	}
	return nil
}

func get(tx *bolt.Tx, key string) (record, error) {
	var r record
	v := tx.Bucket(bucketName).Get([]byte(key))
	if v == nil {
		return r, fmt.Errorf("snapshot %q: %w", key, errdefs.ErrNotFound)
	}
	if err := json.Unmarshal(v, &r); err != nil {
		return r, fmt.Errorf("snapshot %q: decoding record: %w", key, err)
	}
	return r, nil
}

func put(tx *bolt.Tx, key string, r record) error {
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketName).Put([]byte(key), v)
}

// parentIDs returns the ids of parent and its ancestors, nearest first.
func parentIDs(tx *bolt.Tx, parent string) ([]uint64, error) {
	var ids []uint64
	for parent != "" {
		r, err := get(tx, parent)
		if err != nil {
			return nil, fmt.Errorf("parent chain: %w", err)
		}
		ids = append(ids, r.ID)
		parent = r.Parent
	}
	return ids, nil
}

func (r record) info(name string) snapshots.Info {
	return snapshots.Info{Kind: r.Kind, Name: name, Parent: r.Parent, Labels: r.Labels, Created: r.Created, Updated: r.Updated}
}
