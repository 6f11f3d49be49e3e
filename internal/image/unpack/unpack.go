package unpack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

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
	// are not unpacked yet, in order, and may block until a download
	// running ahead has the blob.
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
// Layers whose chain ID is already committed are skipped. Each missing
// layer is applied in order into a temporary active snapshot on its parent
// and committed under its chain ID; on any error that active snapshot is
// removed, so nothing partial is kept (layers committed before the error
// stay, they are complete). Concurrent Unpacks sharing layers are safe: the
// loser of a race to commit the same chain discards its copy.
//
// The snapshotter must hand back an overlay mount with an upperdir, or a
// bind mount for a base layer: Unpack writes into that directory directly
// and never mounts.
func Unpack(ctx context.Context, sn Snapshotter, layers []LayerSource) (string, error) {
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
	parent := ""
	for i, l := range layers {
		chain := chains[i].String()
		_, err := sn.Stat(ctx, chain)
		switch {
		case err == nil:
		case errdefs.IsNotFound(err):
			if err := applyLayer(ctx, sn, l, chain, parent); err != nil {
				return "", fmt.Errorf("unpack: layer %d (%s): %w", i, l.Descriptor.Digest, err)
			}
		default:
			return "", fmt.Errorf("unpack: layer %d: %w", i, err)
		}
		parent = chain
	}
	return parent, nil
}

// applyLayer unpacks one layer into a new snapshot named chain on parent.
func applyLayer(ctx context.Context, sn Snapshotter, l LayerSource, chain, parent string) (err error) {
	key := "extract-" + randomID() + "-" + chain
	ms, err := sn.Prepare(ctx, key, parent)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			if rerr := sn.Remove(ctx, key); rerr != nil {
				err = errors.Join(err, fmt.Errorf("removing %s: %w", key, rerr))
			}
		}
	}()
	dir, opts, err := layerDir(ms)
	if err != nil {
		return err
	}
	if err := extract(ctx, l, dir, opts); err != nil {
		return err
	}
	err = sn.Commit(ctx, chain, key)
	if errdefs.IsAlreadyExists(err) {
		// Another unpack committed the same chain first: use theirs.
		return sn.Remove(ctx, key)
	}
	return err
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
	tarStream := io.TeeReader(dr, diff.Hash())
	if _, err := archive.Apply(ctx, dir, tarStream, opts...); err != nil {
		return err
	}
	// Hash what the tar reader left (end-of-archive padding), then any
	// compressed bytes the decompressor did not need.
	if _, err := io.Copy(io.Discard, tarStream); err != nil {
		return fmt.Errorf("reading layer: %w", err)
	}
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

// Media types of layers Unpack can apply. An empty media type is accepted
// (the caller did not say); anything else is refused before any work.
var layerMediaTypes = map[string]bool{
	"":                              true,
	ocispec.MediaTypeImageLayer:     true,
	ocispec.MediaTypeImageLayerGzip: true,
	ocispec.MediaTypeImageLayerZstd: true,
	// Non-distributable layers are deprecated but still found in the wild.
	"application/vnd.oci.image.layer.nondistributable.v1.tar":      true,
	"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip": true,
	"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd": true,
	"application/vnd.docker.image.rootfs.diff.tar.gzip":            true,
	"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip":    true,
}

func checkMediaType(mt string) error {
	if !layerMediaTypes[mt] {
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
