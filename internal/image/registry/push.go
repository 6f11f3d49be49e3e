package registry

import (
	"context"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/image/content"
)

// Push uploads the image recorded under RecordName(ref) to ref: the blobs
// the registry lacks (mounted from the repository the image was pulled
// from when that is on the same registry, else uploaded as
// go-containerregistry does), then the manifests, children first. Every
// child of an index must be in the store. Blobs are re-verified as they are
// read from the store. Progress reports each uploaded blob's bytes (blobs
// the registry already has or mounts report nothing).
func Push(ctx context.Context, st Store, ref string, opts ...Option) error {
	o := newOptions(opts)
	r, err := ParseReference(ref, o.insecure...)
	if err != nil {
		return err
	}
	rec, err := st.Images.Get(ctx, RecordName(r))
	if err != nil {
		return fmt.Errorf("push %s: %w", ref, err)
	}
	ps := &pushSource{ctx: ctx, cs: st.Content, limit: o.manifestLimit, progress: &serialProgress{p: o.progress}}
	if src, err := name.NewRepository(rec.Labels[LabelSource], name.WeakValidation); err == nil &&
		src.RegistryStr() == r.Context().RegistryStr() && src.RepositoryStr() != r.Context().RepositoryStr() {
		ps.mountFrom = &src
	}
	ropts := o.remoteOptions(ctx)
	if o.foreign {
		ropts = append(ropts, remote.WithNondistributable)
	}
	rp, err := remote.NewPusher(ropts...)
	if err != nil {
		return fmt.Errorf("push %s: %w", ref, err)
	}
	var t remote.Taggable
	switch {
	case isIndex(rec.Target.MediaType):
		t, err = ps.index(rec.Target)
	case isManifest(rec.Target.MediaType):
		t, err = ps.image(rec.Target)
	default:
		err = fmt.Errorf("media type %q: %w", rec.Target.MediaType, errdefs.ErrNotImplemented)
	}
	if err != nil {
		return fmt.Errorf("push %s: %w", ref, err)
	}
	if err := rp.Push(ctx, r, t); err != nil {
		return fmt.Errorf("push %s: %w", ref, classify(err))
	}
	return nil
}

// pushSource presents store content as go-containerregistry images.
type pushSource struct {
	ctx       context.Context // the Push call's; the v1 interfaces take none
	cs        ContentStore
	limit     int64
	progress  *serialProgress
	mountFrom *name.Repository
}

func (ps *pushSource) image(desc ocispec.Descriptor) (v1.Image, error) {
	raw, err := content.ReadBlob(ps.ctx, ps.cs, desc, ps.limit)
	if err != nil {
		return nil, err
	}
	m, err := v1.ParseManifest(bytesReader(raw))
	if err != nil {
		return nil, fmt.Errorf("parsing manifest %s: %v: %w", desc.Digest, err, errdefs.ErrInvalidArgument)
	}
	core := &storeImage{ps: ps, desc: desc, raw: raw, m: m}
	img, err := partial.CompressedToImage(core)
	if err != nil {
		return nil, err
	}
	return &mountingImage{Image: img, ps: ps}, nil
}

func (ps *pushSource) index(desc ocispec.Descriptor) (v1.ImageIndex, error) {
	raw, err := content.ReadBlob(ps.ctx, ps.cs, desc, ps.limit)
	if err != nil {
		return nil, err
	}
	im, err := v1.ParseIndexManifest(bytesReader(raw))
	if err != nil {
		return nil, fmt.Errorf("parsing index %s: %v: %w", desc.Digest, err, errdefs.ErrInvalidArgument)
	}
	return &storeIndex{ps: ps, desc: desc, raw: raw, im: im}, nil
}

// storeImage implements partial.CompressedImageCore.
type storeImage struct {
	ps   *pushSource
	desc ocispec.Descriptor
	raw  []byte
	m    *v1.Manifest
}

func (s *storeImage) RawConfigFile() ([]byte, error) {
	return content.ReadBlob(s.ps.ctx, s.ps.cs, ociDescriptor(s.m.Config), s.ps.limit)
}

func (s *storeImage) MediaType() (types.MediaType, error) {
	return types.MediaType(s.desc.MediaType), nil
}

func (s *storeImage) RawManifest() ([]byte, error) { return s.raw, nil }

func (s *storeImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	for _, l := range append([]v1.Descriptor{s.m.Config}, s.m.Layers...) {
		if l.Digest == h {
			return &storeLayer{ps: s.ps, desc: l}, nil
		}
	}
	return nil, fmt.Errorf("blob %s is not in manifest %s: %w", h, s.desc.Digest, errdefs.ErrNotFound)
}

// mountingImage offers its layers for cross-repository mounts.
type mountingImage struct {
	v1.Image
	ps *pushSource
}

func (m *mountingImage) Layers() ([]v1.Layer, error) {
	ls, err := m.Image.Layers()
	if err != nil || m.ps.mountFrom == nil {
		return ls, err
	}
	out := make([]v1.Layer, len(ls))
	for i, l := range ls {
		h, err := l.Digest()
		if err != nil {
			return nil, err
		}
		out[i] = &remote.MountableLayer{Layer: l, Reference: m.ps.mountFrom.Digest(h.String())}
	}
	return out, nil
}

// ConfigLayer makes the config mountable too (partial.ConfigLayer looks
// for this method).
func (m *mountingImage) ConfigLayer() (v1.Layer, error) {
	cl, err := partial.ConfigLayer(m.Image)
	if err != nil || m.ps.mountFrom == nil {
		return cl, err
	}
	h, err := cl.Digest()
	if err != nil {
		return nil, err
	}
	return &remote.MountableLayer{Layer: cl, Reference: m.ps.mountFrom.Digest(h.String())}, nil
}

// storeLayer implements partial.CompressedLayer (and partial's
// withDescriptor, so media type, URLs and annotations survive).
type storeLayer struct {
	ps   *pushSource
	desc v1.Descriptor
}

func (l *storeLayer) Digest() (v1.Hash, error)            { return l.desc.Digest, nil }
func (l *storeLayer) Size() (int64, error)                { return l.desc.Size, nil }
func (l *storeLayer) MediaType() (types.MediaType, error) { return l.desc.MediaType, nil }
func (l *storeLayer) Descriptor() (*v1.Descriptor, error) { d := l.desc; return &d, nil }
func (l *storeLayer) Compressed() (io.ReadCloser, error) {
	rc, err := content.Open(l.ps.ctx, l.ps.cs, ociDescriptor(l.desc), true)
	if err != nil {
		return nil, err
	}
	u := Update{Digest: digest.Digest(l.desc.Digest.String()), MediaType: string(l.desc.MediaType), Total: l.desc.Size}
	return &countingReader{rc: rc, c: &counter{sp: l.ps.progress, u: u}}, nil
}

type countingReader struct {
	rc io.ReadCloser
	c  *counter
}

func (r *countingReader) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	if n > 0 {
		r.c.Write(p[:n])
	}
	if err == io.EOF {
		r.c.u.State = StateDone
		r.c.sp.send(r.c.u)
	}
	return n, err
}

func (r *countingReader) Close() error { return r.rc.Close() }

// storeIndex implements v1.ImageIndex over the store.
type storeIndex struct {
	ps   *pushSource
	desc ocispec.Descriptor
	raw  []byte
	im   *v1.IndexManifest
}

func (s *storeIndex) MediaType() (types.MediaType, error) {
	return types.MediaType(s.desc.MediaType), nil
}
func (s *storeIndex) Digest() (v1.Hash, error) { return v1.NewHash(s.desc.Digest.String()) }
func (s *storeIndex) Size() (int64, error)     { return s.desc.Size, nil }
func (s *storeIndex) IndexManifest() (*v1.IndexManifest, error) {
	return s.im, nil
}
func (s *storeIndex) RawManifest() ([]byte, error) { return s.raw, nil }

func (s *storeIndex) child(h v1.Hash) (v1.Descriptor, error) {
	for _, d := range s.im.Manifests {
		if d.Digest == h {
			return d, nil
		}
	}
	return v1.Descriptor{}, fmt.Errorf("%s is not in index %s: %w", h, s.desc.Digest, errdefs.ErrNotFound)
}

func (s *storeIndex) Image(h v1.Hash) (v1.Image, error) {
	d, err := s.child(h)
	if err != nil {
		return nil, err
	}
	return s.ps.image(ociDescriptor(d))
}

func (s *storeIndex) ImageIndex(h v1.Hash) (v1.ImageIndex, error) {
	d, err := s.child(h)
	if err != nil {
		return nil, err
	}
	return s.ps.index(ociDescriptor(d))
}

func ociDescriptor(d v1.Descriptor) ocispec.Descriptor {
	return ocispec.Descriptor{
		MediaType: string(d.MediaType), Digest: digest.Digest(d.Digest.String()), Size: d.Size,
		URLs: d.URLs, Annotations: d.Annotations,
	}
}
