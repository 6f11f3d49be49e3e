package unpack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/image/archive"
	"github.com/cais-project/cais/internal/image/snapshots"
	"github.com/cais-project/cais/internal/mount"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// LayerSource is one layer of an image, bottom first.
type LayerSource struct {
	// Descriptor is the layer's descriptor from the manifest. Its digest
	// and size, when set, are verified against the compressed stream.
	Descriptor ocispec.Descriptor
	// DiffID is the digest of the uncompressed tar, from the image
	// config's rootfs.diff_ids. Required.
	DiffID digest.Digest
	// Open returns the compressed blob. It is called only for layers that
	// are not unpacked yet, for several layers at once from different
	// goroutines, and may block until a download running ahead has the
	// blob.
	Open func() (io.ReadCloser, error)
}

// Snapshotter is what Unpack needs of a snapshots.Snapshotter.
type Snapshotter interface {
	Stat(ctx context.Context, key string) (snapshots.Info, error)
	Prepare(ctx context.Context, key, parent string, opts ...snapshots.Opt) ([]mount.Mount, error)
	Commit(ctx context.Context, name, key string, opts ...snapshots.Opt) error
	Remove(ctx context.Context, key string) error
}

// Unpack makes sure a committed snapshot exists for every layer chain of
// layers and returns the chain ID of the top layer, the snapshot to
// Prepare a container's rootfs on.
//
// Layers whose chain ID is already committed are skipped. The missing
// layers are extracted at the same time (see WithParallel), each into its
// own active snapshot: the lowest missing one on its committed parent, the
// others prepared without parent and written as overlay upper layers
// (whiteouts and opaque directories as markers), which needs nothing of the
// layers below. Once all are extracted and verified, directories a layer
// created without naming them take their lower layers' attributes and the
// snapshots are committed in chain order, each on the one below
// (snapshots.WithParent). On any error, cancellation included, every
// snapshot this call made is removed: layers already committed before the
// call stay, nothing of the failed ones is kept. Concurrent Unpacks sharing
// layers are safe: the loser of a race to commit the same chain discards
// its copy and stacks on the winner's.
//
// The snapshotter must hand back an overlay mount with an upperdir, or a
// bind mount for a snapshot without parent: Unpack writes into that
// directory directly and never mounts.
func Unpack(ctx context.Context, sn Snapshotter, layers []LayerSource, opts ...Option) (string, error) {
	o := options{parallel: DefaultParallel}
	for _, opt := range opts {
		opt(&o)
	}
	if len(layers) == 0 {
		return "", fmt.Errorf("unpack: no layers: %w", errdefs.ErrInvalidArgument)
	}
	diffIDs := make([]digest.Digest, len(layers))
	for i, l := range layers {
		if err := l.DiffID.Validate(); err != nil {
			return "", fmt.Errorf("unpack: layer %d: diffID %q: %v: %w", i, l.DiffID, err, errdefs.ErrInvalidArgument)
		}
		if err := checkMediaType(l.Descriptor.MediaType); err != nil {
			return "", fmt.Errorf("unpack: layer %d: %w", i, err)
		}
		diffIDs[i] = l.DiffID
	}
	chains := identity.ChainIDs(diffIDs)
	ids := make([]string, len(chains))
	for i, c := range chains {
		ids[i] = c.String()
	}
	// A committed chain has all of its parents: find the highest one.
	first := 0
	for i := len(ids) - 1; i >= 0; i-- {
		_, err := sn.Stat(ctx, ids[i])
		if err == nil {
			first = i + 1
			break
		}
		if !errdefs.IsNotFound(err) {
			return "", fmt.Errorf("unpack: layer %d: %w", i, err)
		}
	}
	if first < len(layers) {
		if err := unpackFrom(ctx, sn, layers, ids, first, o); err != nil {
			return "", err
		}
	}
	return ids[len(ids)-1], nil
}

// unpackFrom extracts layers[first:] in parallel and commits them in order.
func unpackFrom(ctx context.Context, sn Snapshotter, layers []LayerSource, ids []string, first int, o options) (err error) {
	st := make([]*staged, len(layers)-first)
	for j := range st {
		st[j] = &staged{index: first + j, key: "extract-" + randomID() + "-" + ids[first+j]}
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, rollback(context.WithoutCancel(ctx), sn, st))
		}
	}()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.parallel)
	for j, s := range st {
		parent := ""
		if j == 0 && first > 0 {
			parent = ids[first-1]
		}
		g.Go(func() error {
			if err := s.extract(gctx, sn, layers[s.index], parent, j == 0); err != nil {
				return fmt.Errorf("unpack: layer %d (%s): %w", s.index, layers[s.index].Descriptor.Digest, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	// Directories a layer made on its own take the attributes they have
	// below, now that the layers below are all there.
	lower := st[0].lower
	for j := 1; j < len(st); j++ {
		lower = append([]string{st[j-1].dir}, lower...)
		if err := archive.InheritDirAttrs(st[j].dir, st[j].implicit, lower); err != nil {
			return fmt.Errorf("unpack: layer %d: %w", st[j].index, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for j, s := range st {
		var opts []snapshots.Opt
		if j > 0 {
			opts = append(opts, snapshots.WithParent(ids[s.index-1]))
		}
		err := sn.Commit(ctx, ids[s.index], s.key, opts...)
		switch {
		case err == nil:
			s.prepared, s.committed = false, ids[s.index]
		case errdefs.IsAlreadyExists(err):
			// Another unpack committed the same chain first: use theirs.
			if err := sn.Remove(ctx, s.key); err != nil {
				return fmt.Errorf("unpack: layer %d: removing %s: %w", s.index, s.key, err)
			}
			s.prepared = false
		default:
			return fmt.Errorf("unpack: layer %d: %w", s.index, err)
		}
	}
	return nil
}

// staged is one layer being extracted by unpackFrom.
type staged struct {
	index     int
	key       string
	dir       string
	lower     []string // for the lowest layer: the committed layers below
	implicit  []string // for the others: directories to give lower attributes
	prepared  bool     // key exists and must be removed on failure
	committed string   // the chain this call committed, to undo on failure
}

// extract prepares s's snapshot, the lowest on parent and the others
// detached, and applies l into it.
func (s *staged) extract(ctx context.Context, sn Snapshotter, l LayerSource, parent string, lowest bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ms, err := sn.Prepare(ctx, s.key, parent)
	if err != nil {
		return err
	}
	s.prepared = true
	opts := []archive.Option{archive.ParallelFiles(fileWorkers())}
	if lowest {
		dir, dirOpts, err := layerDir(ms)
		if err != nil {
			return err
		}
		s.dir, opts = dir, append(opts, dirOpts...)
		for _, o := range ms[0].Options {
			if v, ok := strings.CutPrefix(o, "lowerdir="); ok {
				s.lower = strings.Split(v, ":")
			}
		}
	} else {
		if len(ms) != 1 || ms[0].Type != "bind" {
			return fmt.Errorf("unpack into mounts %v: a snapshot without parent must be a bind mount: %w", ms, errdefs.ErrNotImplemented)
		}
		s.dir = ms[0].Source
		opts = append(opts, archive.CollectImplicitDirs(&s.implicit))
	}
	return extract(ctx, l, s.dir, opts)
}

// rollback removes what a failed unpackFrom made: active snapshots, and
// the chains it committed, top first. A committed chain another unpack
// has built on meanwhile is in use and stays.
func rollback(ctx context.Context, sn Snapshotter, st []*staged) error {
	var errs []error
	for j := len(st) - 1; j >= 0; j-- {
		s := st[j]
		if s.prepared {
			if err := sn.Remove(ctx, s.key); err != nil {
				errs = append(errs, fmt.Errorf("removing %s: %w", s.key, err))
			}
		}
		if s.committed != "" {
			if err := sn.Remove(ctx, s.committed); err != nil && !errdefs.IsConflict(err) {
				errs = append(errs, fmt.Errorf("removing %s: %w", s.committed, err))
			}
		}
	}
	return errors.Join(errs...)
}

// extract streams l's blob into dir, verifying digests.
func extract(ctx context.Context, l LayerSource, dir string, opts []archive.Option) error {
	rc, err := l.Open()
	if err != nil {
		return fmt.Errorf("opening blob: %w", err)
	}
	defer rc.Close()
	blob := &verifier{want: l.Descriptor.Digest, size: l.Descriptor.Size}
	if blob.want != "" {
		blob.d = blob.want.Algorithm().Digester()
	}
	compressed := io.TeeReader(rc, blob)
	dr, _, err := archive.Decompress(compressed)
	if err != nil {
		return err
	}
	defer dr.Close()
	diff := l.DiffID.Algorithm().Digester()
	// Reading, decompressing and hashing run ahead in a goroutine of their
	// own while Apply creates files; ra is closed before dr and rc are.
	ra := newReadAhead(io.TeeReader(dr, diff.Hash()), 128<<10, 8)
	defer ra.Close()
	if _, err := archive.Apply(ctx, dir, ra, opts...); err != nil {
		return err
	}
	// Hash what the tar reader left (end-of-archive padding), then any
	// compressed bytes the decompressor did not need.
	if _, err := io.Copy(io.Discard, ra); err != nil {
		return fmt.Errorf("reading layer: %w", err)
	}
	ra.Close()
	if _, err := io.Copy(io.Discard, compressed); err != nil {
		return fmt.Errorf("reading blob: %w", err)
	}
	if got := diff.Digest(); got != l.DiffID {
		return fmt.Errorf("uncompressed layer is %s, the image config says %s: %w", got, l.DiffID, errdefs.ErrInvalidArgument)
	}
	return blob.verify()
}

// layerDir finds the directory to apply a layer to in a fresh snapshot's
// mounts, and how: an overlay upper dir takes overlay whiteouts, a plain
// base directory takes deletions.
func layerDir(ms []mount.Mount) (string, []archive.Option, error) {
	if len(ms) == 1 {
		m := ms[0]
		switch m.Type {
		case "overlay":
			var upper string
			var lower []string
			for _, o := range m.Options {
				if v, ok := strings.CutPrefix(o, "upperdir="); ok {
					upper = v
				}
				if v, ok := strings.CutPrefix(o, "lowerdir="); ok {
					lower = strings.Split(v, ":")
				}
			}
			if upper != "" {
				return upper, []archive.Option{archive.WithLowerDirs(lower)}, nil
			}
		case "bind":
			return m.Source, []archive.Option{archive.Flatten()}, nil
		}
	}
	return "", nil, fmt.Errorf("unpack into mounts %v: only an overlay upperdir or a bind mount: %w", ms, errdefs.ErrNotImplemented)
}

// layerMediaType reports whether Unpack can apply a layer of media type mt.
// An empty media type is accepted (the caller did not say); anything else
// is refused before any work.
func layerMediaType(mt string) bool {
	switch mt {
	case "", ocispec.MediaTypeImageLayer, ocispec.MediaTypeImageLayerGzip, ocispec.MediaTypeImageLayerZstd,
		// Non-distributable layers are deprecated but still found in the wild.
		"application/vnd.oci.image.layer.nondistributable.v1.tar",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
		"application/vnd.docker.image.rootfs.diff.tar.gzip",
		"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip":
		return true
	}
	return false
}

func checkMediaType(mt string) error {
	if !layerMediaType(mt) {
		return fmt.Errorf("media type %q is not a layer this unpacker applies: %w", mt, errdefs.ErrNotImplemented)
	}
	return nil
}

// verifier hashes and counts the compressed stream.
type verifier struct {
	want digest.Digest
	size int64
	d    digest.Digester
	n    int64
}

func (v *verifier) Write(p []byte) (int, error) {
	v.n += int64(len(p))
	if v.d != nil {
		v.d.Hash().Write(p)
	}
	return len(p), nil
}

func (v *verifier) verify() error {
	if v.size > 0 && v.n != v.size {
		return fmt.Errorf("blob is %d bytes, the descriptor says %d: %w", v.n, v.size, errdefs.ErrInvalidArgument)
	}
	if v.d != nil && v.d.Digest() != v.want {
		return fmt.Errorf("blob is %s, the descriptor says %s: %w", v.d.Digest(), v.want, errdefs.ErrInvalidArgument)
	}
	return nil
}

func randomID() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}
