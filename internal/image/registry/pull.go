package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"slices"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/image/content"
	"github.com/cais-project/cais/internal/image/metadata"
)

// Pull fetches ref into st and records it under RecordName(ref), creating
// or moving that record. The record's target is what ref names (an index
// or a manifest); the returned Image is resolved for the chosen platform.
// On any error the committed blobs and the records are as they were
// (partial data may remain in the ingest area).
//
// Errors: a malformed ref, an oversized or malformed manifest, or content
// that does not match its digest: errdefs.ErrInvalidArgument; an
// unsupported media type: errdefs.ErrNotImplemented; no manifest for the
// platform: errdefs.ErrNotFound; transfers that kept failing:
// errdefs.ErrUnavailable.
func Pull(ctx context.Context, st Store, ref string, opts ...Option) (Image, error) {
	o := newOptions(opts)
	r, err := ParseReference(ref, o.insecure...)
	if err != nil {
		return Image{}, err
	}
	rp, err := remote.NewPuller(o.remoteOptions(ctx)...)
	if err != nil {
		return Image{}, fmt.Errorf("pull %s: %w", ref, err)
	}
	from := r
	if o.endpoint != "" {
		if from, err = atEndpoint(r, o.endpoint, o.insecure); err != nil {
			return Image{}, fmt.Errorf("pull %s: %w", ref, err)
		}
	}
	p := &puller{o: o, st: st, repo: from.Context(), remote: rp, progress: &serialProgress{p: o.progress}}
	defer p.cleanup(ctx)

	top, err := p.resolve(ctx, from)
	if err != nil {
		return Image{}, fmt.Errorf("pull %s: %w", ref, err)
	}
	if err := p.fetchBlobs(ctx); err != nil {
		return Image{}, fmt.Errorf("pull %s: %w", ref, err)
	}
	if err := p.commit(ctx); err != nil {
		return Image{}, fmt.Errorf("pull %s: %w", ref, err)
	}
	rec, err := record(ctx, st.Images, metadata.Image{
		Name: RecordName(r), Target: top, Labels: map[string]string{LabelSource: r.Context().Name()},
	})
	if err != nil {
		return Image{}, fmt.Errorf("pull %s: %w", ref, err)
	}
	return load(ctx, st.Content, rec, o.platform, o.manifestLimit)
}

// atEndpoint is r with its registry replaced by host.
func atEndpoint(r name.Reference, host string, insecure []string) (name.Reference, error) {
	var opts []name.Option
	if slices.Contains(insecure, host) || slices.Contains(insecure, hostOnly(host)) {
		opts = append(opts, name.Insecure)
	}
	// RepositoryStr spells Docker Hub's official images "library/x", as a
	// mirror stores them.
	repo, err := name.NewRepository(host+"/"+r.Context().RepositoryStr(), opts...)
	if err != nil {
		return nil, fmt.Errorf("endpoint %q: %v: %w", host, err, errdefs.ErrInvalidArgument)
	}
	if d, ok := r.(name.Digest); ok {
		return repo.Digest(d.DigestStr()), nil
	}
	return repo.Tag(r.Identifier()), nil
}

// puller is the state of one Pull.
type puller struct {
	o        options
	st       Store
	repo     name.Repository
	remote   *remote.Puller
	progress *serialProgress

	// manifests to commit after the blobs, children first.
	manifests []staged
	// blobs the manifest names, deduplicated.
	blobs []ocispec.Descriptor
	// writers holds each blob's verified, uncommitted write (nil when the
	// blob was already present); refs the ingests to drop on failure.
	writers []content.Writer
	refs    []string
	done    bool
}

type staged struct {
	desc ocispec.Descriptor
	data []byte
}

// resolve fetches the manifest (through an index if ref names one) and
// decides which blobs to fetch. It returns the descriptor ref names.
func (p *puller) resolve(ctx context.Context, r name.Reference) (ocispec.Descriptor, error) {
	d, err := p.remote.Get(ctx, r)
	if err != nil {
		return ocispec.Descriptor{}, classify(err)
	}
	top := ocispec.Descriptor{MediaType: string(d.MediaType), Digest: digest.Digest(d.Digest.String()), Size: d.Size}
	mdesc, mbytes := top, d.Manifest
	switch {
	case isIndex(top.MediaType):
		var idx ocispec.Index
		if err := json.Unmarshal(d.Manifest, &idx); err != nil {
			return ocispec.Descriptor{}, fmt.Errorf("parsing index: %v: %w", err, errdefs.ErrInvalidArgument)
		}
		if mdesc, err = selectManifest(idx, p.o.platform); err != nil {
			return ocispec.Descriptor{}, err
		}
		if mbytes, err = p.child(ctx, mdesc); err != nil {
			return ocispec.Descriptor{}, err
		}
	case isManifest(top.MediaType):
	case top.MediaType == dockerSchema1 || top.MediaType == dockerSchema1Signed:
		return ocispec.Descriptor{}, fmt.Errorf("docker schema 1 manifests are not supported: %w", errdefs.ErrNotImplemented)
	default:
		return ocispec.Descriptor{}, fmt.Errorf("media type %q is neither a manifest nor an index: %w", top.MediaType, errdefs.ErrNotImplemented)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(mbytes, &m); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("parsing manifest %s: %v: %w", mdesc.Digest, err, errdefs.ErrInvalidArgument)
	}
	p.manifests = append(p.manifests, staged{mdesc, mbytes})
	if top.Digest != mdesc.Digest {
		p.manifests = append(p.manifests, staged{top, d.Manifest})
	}
	return top, p.plan(m)
}

// child returns the bytes of an index entry, from the store if present.
func (p *puller) child(ctx context.Context, desc ocispec.Descriptor) ([]byte, error) {
	if desc.Size > p.o.manifestLimit {
		return nil, tooLarge("manifest "+desc.Digest.String(), desc.Size, p.o.manifestLimit)
	}
	if b, err := content.ReadBlob(ctx, p.st.Content, desc, p.o.manifestLimit); err == nil {
		return b, nil
	}
	d, err := p.remote.Get(ctx, p.repo.Digest(desc.Digest.String()))
	if err != nil {
		return nil, classify(err)
	}
	if int64(len(d.Manifest)) != desc.Size || desc.Digest.Validate() != nil || desc.Digest.Algorithm().FromBytes(d.Manifest) != desc.Digest {
		return nil, fmt.Errorf("manifest %s: content does not match the index entry: %w", desc.Digest, errdefs.ErrInvalidArgument)
	}
	return d.Manifest, nil
}

// plan lists the config and layers to fetch, checking their descriptors.
func (p *puller) plan(m ocispec.Manifest) error {
	if m.Config.Size > p.o.manifestLimit {
		return tooLarge("config "+m.Config.Digest.String(), m.Config.Size, p.o.manifestLimit)
	}
	seen := map[digest.Digest]bool{}
	for _, d := range append([]ocispec.Descriptor{m.Config}, m.Layers...) {
		if err := d.Digest.Validate(); err != nil || d.Size < 0 {
			return fmt.Errorf("manifest names blob %q of size %d: %w", d.Digest, d.Size, errdefs.ErrInvalidArgument)
		}
		if seen[d.Digest] {
			continue
		}
		seen[d.Digest] = true
		if IsForeign(d.MediaType) && !p.o.foreign {
			p.progress.send(Update{Digest: d.Digest, MediaType: d.MediaType, State: StateSkipped, Total: d.Size})
			continue
		}
		p.blobs = append(p.blobs, d)
	}
	return nil
}

// fetchBlobs transfers the planned blobs the store lacks, a few at a time,
// into verified but uncommitted writes.
func (p *puller) fetchBlobs(ctx context.Context) error {
	p.writers = make([]content.Writer, len(p.blobs))
	p.refs = make([]string, len(p.blobs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(p.o.jobs)
	for i, d := range p.blobs {
		g.Go(func() error {
			w, ref, err := p.fetch(gctx, d)
			p.writers[i], p.refs[i] = w, ref
			return err
		})
	}
	return g.Wait()
}

// ingestSeq makes fallback ingest refs unique within this process.
var ingestSeq atomic.Uint64

// fetch transfers one blob, retrying transfers that are cut short.
func (p *puller) fetch(ctx context.Context, d ocispec.Descriptor) (content.Writer, string, error) {
	u := Update{Digest: d.Digest, MediaType: d.MediaType, Total: d.Size}
	if _, err := p.st.Content.Info(ctx, d.Digest); err == nil {
		u.State, u.Done = StateExists, d.Size
		p.progress.send(u)
		return nil, "", nil
	}
	ref := "pull-" + d.Digest.String()
	w, err := p.st.Content.Writer(ctx, ref, d)
	if errors.Is(err, errdefs.ErrUnavailable) {
		// Another pull is fetching it; fetch our own copy rather than wait
		// for a writer that may itself wait for one of ours.
		ref = fmt.Sprintf("%s-%d-%d", ref, os.Getpid(), ingestSeq.Add(1))
		w, err = p.st.Content.Writer(ctx, ref, d)
	}
	if errdefs.IsAlreadyExists(err) {
		u.State, u.Done = StateExists, d.Size
		p.progress.send(u)
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	layer, err := p.remote.Layer(ctx, p.repo.Digest(d.Digest.String()))
	if err != nil {
		w.Close()
		return nil, ref, fmt.Errorf("blob %s: %w", d.Digest, err)
	}
	backoff := p.o.backoff
	for attempt := 0; ; attempt++ {
		err = p.copyOnce(w, func() (io.ReadCloser, error) { return layer.Compressed() }, u)
		if err == nil {
			break
		}
		if ctx.Err() != nil || !transient(err) || attempt >= p.o.retries {
			w.Close()
			u.State = StateFailed
			p.progress.send(u)
			if transient(err) {
				err = fmt.Errorf("%w (gave up after %d tries: %w)", err, attempt+1, errdefs.ErrUnavailable)
			} else if badContent(err) {
				err = fmt.Errorf("%w: %w", err, errdefs.ErrInvalidArgument)
			}
			return nil, ref, fmt.Errorf("blob %s: %w", d.Digest, classify(err))
		}
		u.State = StateRetrying
		p.progress.send(u)
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff *= 3
	}
	if w.Digest() != d.Digest || w.Offset() != d.Size {
		w.Close()
		return nil, ref, fmt.Errorf("blob %s: got %d bytes with digest %s, want %d: %w",
			d.Digest, w.Offset(), w.Digest(), d.Size, errdefs.ErrInvalidArgument)
	}
	u.State, u.Done = StateDone, d.Size
	p.progress.send(u)
	return w, ref, nil
}

func (p *puller) copyOnce(w content.Writer, open func() (io.ReadCloser, error), u Update) error {
	if w.Offset() > 0 {
		// go-containerregistry gives no ranged reads, so a cut-short or
		// interrupted transfer starts again from the beginning.
		if err := w.Truncate(0); err != nil {
			return err
		}
	}
	rc, err := open()
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.Copy(io.MultiWriter(w, &counter{sp: p.progress, u: u}), rc)
	return err
}

// commit publishes the fetched blobs, then the manifests (children before
// the index), so a visible manifest always has its blobs.
func (p *puller) commit(ctx context.Context) error {
	for i, w := range p.writers {
		if w == nil {
			continue
		}
		d := p.blobs[i]
		err := w.Commit(ctx, d.Size, d.Digest)
		p.writers[i] = nil
		if err != nil && !errdefs.IsAlreadyExists(err) {
			return fmt.Errorf("committing %s: %w", d.Digest, err)
		}
	}
	for _, m := range p.manifests {
		if err := content.WriteBlob(ctx, p.st.Content, "pull-"+m.desc.Digest.String(), bytes.NewReader(m.data), m.desc); err != nil {
			return fmt.Errorf("committing manifest %s: %w", m.desc.Digest, err)
		}
	}
	p.done = true
	return nil
}

// cleanup drops the uncommitted writes of a failed pull.
func (p *puller) cleanup(ctx context.Context) {
	for i, w := range p.writers {
		if w != nil {
			w.Close()
		}
		if !p.done && p.refs[i] != "" {
			_ = p.st.Content.Abort(context.WithoutCancel(ctx), p.refs[i])
		}
	}
}

// record points the record's name at its new target.
func record(ctx context.Context, images ImageStore, img metadata.Image) (metadata.Image, error) {
	rec, err := images.Create(ctx, img)
	if errdefs.IsAlreadyExists(err) {
		old, err := images.Get(ctx, img.Name)
		if err != nil {
			return metadata.Image{}, err
		}
		if old.Labels == nil {
			old.Labels = map[string]string{}
		}
		for k, v := range img.Labels {
			old.Labels[k] = v
		}
		old.Target = img.Target
		return images.Update(ctx, old)
	}
	return rec, err
}

// transient reports whether a blob transfer failed in a way worth trying
// again: the connection broke or the body ended early. HTTP status errors
// are not: go-containerregistry's transport has already retried those.
func transient(err error) bool {
	var te *transport.Error
	if errors.As(err, &te) {
		return false
	}
	var ne net.Error
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNREFUSED) ||
		(errors.As(err, &ne) && ne.Timeout())
}

// badContent reports whether a transfer that completed at the HTTP level
// failed because the bytes were wrong (go-containerregistry's digest and
// size checks), rather than the registry, the disk or the caller.
func badContent(err error) bool {
	var te *transport.Error
	var pe *fs.PathError
	for _, class := range []error{errdefs.ErrInvalidArgument, errdefs.ErrNotFound, errdefs.ErrPermission,
		errdefs.ErrUnavailable, context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, class) {
			return false
		}
	}
	return !errors.As(err, &te) && !errors.As(err, &pe)
}

// classify gives registry errors an errdefs class.
func classify(err error) error {
	var te *transport.Error
	if !errors.As(err, &te) {
		return err
	}
	switch {
	case te.StatusCode == 404:
		return fmt.Errorf("%w: %w", err, errdefs.ErrNotFound)
	case te.StatusCode == 401 || te.StatusCode == 403:
		return fmt.Errorf("%w: %w", err, errdefs.ErrPermission)
	case te.StatusCode >= 500 || te.StatusCode == 429:
		return fmt.Errorf("%w: %w", err, errdefs.ErrUnavailable)
	}
	return err
}
