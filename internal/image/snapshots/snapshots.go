package snapshots

import (
	"context"
	"time"

	"github.com/cais-project/cais/internal/mount"
)

// Kind is the state of a snapshot.
type Kind uint8

// The kinds of snapshot. Only committed snapshots can be parents; only
// active snapshots can be committed.
const (
	KindUnknown Kind = iota
	KindView
	KindActive
	KindCommitted
)

func (k Kind) String() string {
	switch k {
	case KindView:
		return "view"
	case KindActive:
		return "active"
	case KindCommitted:
		return "committed"
	}
	return "unknown"
}

// Info describes a snapshot.
type Info struct {
	Kind Kind
	// Name is the key of an active snapshot or view, or the name a
	// snapshot was committed under.
	Name string
	// Parent is the name of the committed parent, empty for a base layer.
	Parent  string
	Labels  map[string]string
	Created time.Time
	Updated time.Time
}

// Usage is the disk space a snapshot's own layer takes (not its parents').
type Usage struct {
	Inodes int64
	Size   int64 // bytes allocated on disk
}

// Opt sets optional properties of a snapshot being created or committed.
type Opt func(*Info) error

// WithLabels adds labels to the snapshot.
func WithLabels(labels map[string]string) Opt {
	return func(i *Info) error {
		if i.Labels == nil {
			i.Labels = map[string]string{}
		}
		for k, v := range labels {
			i.Labels[k] = v
		}
		return nil
	}
}

// WithParent, given to Commit, puts a snapshot prepared without a parent
// on parent, which must be committed by then. It lets a layer's diff be
// written into its own directory before the layers below it exist
// (extracting layers in parallel), and be stacked on them at commit. The
// caller must have written the diff the way an upper layer holds it
// (whiteouts and opaque directories as overlay markers). Committing a
// snapshot prepared on another parent under WithParent is ErrConflict;
// Prepare and View refuse it (their parent argument says it).
func WithParent(parent string) Opt {
	return func(i *Info) error {
		i.Parent = parent
		return nil
	}
}

// WalkFunc is called by Walk for every snapshot; an error stops the walk.
type WalkFunc func(context.Context, Info) error

// Snapshotter manages snapshots by key. Keys and names share one namespace.
// Methods are safe for concurrent use; implementations document how far
// that extends across processes.
//
// The usual order: Prepare(key, parent) → mount the returned mounts and
// write → unmount → Commit(name, key). A layer may also be staged detached:
// Prepare(key, "") → write its diff into the returned bind mount's source →
// Commit(name, key, WithParent(parent)) once parent is committed. View(key, parent) gives read-only
// mounts of a committed snapshot. Remove(key) deletes an active snapshot or
// view, or a committed snapshot without children.
//
// Errors are classed with errdefs: ErrNotFound for a missing key or parent,
// ErrAlreadyExists for a taken key or name, ErrConflict for operations the
// snapshot's state forbids (a parent that is not committed, removing a
// snapshot with children, committing a view).
type Snapshotter interface {
	// Stat returns the snapshot's description.
	Stat(ctx context.Context, key string) (Info, error)
	// Usage returns the space the snapshot's own layer takes. For an
	// active snapshot it is computed now; for a committed one it was
	// computed at commit.
	Usage(ctx context.Context, key string) (Usage, error)
	// Mounts returns the mounts of an active snapshot or view again.
	Mounts(ctx context.Context, key string) ([]mount.Mount, error)
	// Prepare creates an active snapshot on parent ("" for none) and
	// returns its mounts.
	Prepare(ctx context.Context, key, parent string, opts ...Opt) ([]mount.Mount, error)
	// View creates a read-only snapshot of parent and returns its mounts.
	View(ctx context.Context, key, parent string, opts ...Opt) ([]mount.Mount, error)
	// Commit turns the active snapshot key into the committed snapshot
	// name. The caller must have unmounted key. WithParent among opts
	// stacks a snapshot prepared without parent on a committed parent.
	Commit(ctx context.Context, name, key string, opts ...Opt) error
	// Remove deletes a snapshot and its data. The caller must have
	// unmounted it.
	Remove(ctx context.Context, key string) error
	// Walk calls fn for every snapshot, in no particular order.
	Walk(ctx context.Context, fn WalkFunc) error
	// Close releases the snapshotter; it cannot be used afterwards.
	Close() error
}
