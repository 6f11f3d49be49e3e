package engine

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/image/content"
	"github.com/cais-project/cais/internal/image/metadata"
	"github.com/cais-project/cais/internal/image/registry"
	"github.com/cais-project/cais/internal/image/snapshots"
	"github.com/cais-project/cais/internal/image/unpack"
	"github.com/cais-project/cais/internal/mount"
)

// Event is one progress message, shaped like Docker's JSON messages: ID
// is a layer's short ID (or a tag for whole-image messages), Status the
// words Docker uses ("Pulling fs layer", "Downloading", "Download
// complete", "Extracting", "Pull complete", "Already exists"; "Preparing",
// "Pushing", "Pushed", "Layer already exists" for a push), Current and
// Total the bytes of Downloading, Extracting and Pushing.
type Event struct {
	ID      string
	Status  string
	Current int64
	Total   int64
}

// PullOptions are Pull's optional settings.
type PullOptions struct {
	// Platform is "os/arch[/variant]"; empty means the host's.
	Platform string
	// Progress, if set, receives events one at a time; it must be quick.
	Progress func(Event)
}

// PullResult says what a pull did.
type PullResult struct {
	Reference Reference
	Digest    string // the manifest or index digest pulled
	ID        string // the image ID
	UpToDate  bool   // the reference already named this content
}

// Pull fetches ref into the content store, records it, and unpacks the
// chosen platform's layers into snapshots. A failed pull leaves the record
// as it was. When ref moves away from an image no other name holds, that
// image stays as a dangling one (as Docker keeps it).
func (e *Engine) Pull(ctx context.Context, ref string, opts PullOptions) (PullResult, error) {
	pref, err := e.ParseReference(ref)
	if err != nil {
		return PullResult{}, err
	}
	ropts := []registry.Option{registry.WithInsecureRegistries(e.opts.InsecureRegistries...)}
	if opts.Platform != "" {
		p, err := registry.ParsePlatform(opts.Platform)
		if err != nil {
			return PullResult{}, err
		}
		ropts = append(ropts, registry.WithPlatform(p))
	}
	prog := &pullProgress{send: opts.Progress, layers: map[digest.Digest]string{}}
	ropts = append(ropts, registry.WithProgress(prog))

	unlock, err := e.lockShared()
	if err != nil {
		return PullResult{}, err
	}
	defer unlock()

	old, oldErr := e.images.Get(ctx, pref.Name)
	if oldErr != nil && !errdefs.IsNotFound(oldErr) {
		return PullResult{}, oldErr
	}
	var oldImg *image
	if oldErr == nil {
		oldImg = e.loadRecord(ctx, old)
	}
	prog.emit(Event{ID: tagOrDigest(pref), Status: "Pulling from " + pref.Path})
	img, err := e.pullMirrored(ctx, pref, ref, ropts)
	if err != nil {
		return PullResult{}, err
	}
	if !img.Runnable {
		e.restore(ctx, pref.Name, old, oldErr == nil)
		return PullResult{}, fmt.Errorf("pull %s: the image is not runnable here (layers missing or of an unknown type): %w", ref, errdefs.ErrNotImplemented)
	}
	if err := e.unpack(ctx, img, prog); err != nil {
		e.restore(ctx, pref.Name, old, oldErr == nil)
		return PullResult{}, fmt.Errorf("pull %s: %w", ref, err)
	}
	res := PullResult{
		Reference: pref, Digest: img.Record.Target.Digest.String(),
		ID:       img.Manifest.Config.Digest.String(),
		UpToDate: oldErr == nil && old.Target.Digest == img.Record.Target.Digest,
	}
	if oldImg != nil && !res.UpToDate {
		if err := e.keepDangling(ctx, oldImg.id, old); err != nil {
			return res, err
		}
	}
	return res, nil
}

func tagOrDigest(r Reference) string {
	if r.Tag != "" {
		return r.Tag
	}
	return r.Digest
}

// restore puts a record back as it was before a pull that failed after
// recording.
func (e *Engine) restore(ctx context.Context, name string, old metadata.Image, existed bool) {
	ctx = context.WithoutCancel(ctx)
	_ = e.images.with(func(s *metadata.Store) error {
		if existed {
			_, err := s.Update(ctx, old)
			return err
		}
		return s.Delete(ctx, name)
	})
}

// keepDangling records the image a name just left, under its ID, if no
// other record still points to its target.
func (e *Engine) keepDangling(ctx context.Context, id string, old metadata.Image) error {
	return e.images.with(func(s *metadata.Store) error { return danglingIfOrphan(ctx, s, id, old) })
}

// unpack applies an image's layers to snapshots named by chain ID.
func (e *Engine) unpack(ctx context.Context, img registry.Image, prog *pullProgress) error {
	diffIDs := img.Config.RootFS.DiffIDs
	if len(diffIDs) != len(img.Layers) {
		return fmt.Errorf("config lists %d diffIDs for %d layers: %w", len(diffIDs), len(img.Layers), errdefs.ErrInvalidArgument)
	}
	if len(img.Layers) == 0 {
		return nil
	}
	chains := identity.ChainIDs(append([]digest.Digest(nil), diffIDs...))
	sn := &reportingSnapshotter{snapshotDB: e.snaps, prog: prog, layerOf: map[string]ocispec.Descriptor{}}
	layers := make([]unpack.LayerSource, len(img.Layers))
	for i, l := range img.Layers {
		sn.layerOf[chains[i].String()] = l
		layers[i] = unpack.LayerSource{Descriptor: l, DiffID: diffIDs[i], Open: func() (io.ReadCloser, error) {
			rc, err := content.Open(ctx, e.content, l, false)
			if err != nil {
				return nil, err
			}
			return &countingReadCloser{rc: rc, report: func(n int64) {
				prog.emit(Event{ID: shortID(l.Digest), Status: "Extracting", Current: n, Total: l.Size})
			}}, nil
		}}
	}
	if _, err := unpack.Unpack(ctx, sn, layers); err != nil {
		return err
	}
	for _, l := range img.Layers {
		prog.finish(l.Digest)
	}
	return nil
}

// reportingSnapshotter tells the progress which layer is being extracted
// and when it is complete.
type reportingSnapshotter struct {
	*snapshotDB
	prog    *pullProgress
	layerOf map[string]ocispec.Descriptor // chain ID -> layer
}

func (r *reportingSnapshotter) Commit(ctx context.Context, name, key string, opts ...snapshots.Opt) error {
	err := r.snapshotDB.Commit(ctx, name, key, opts...)
	if l, ok := r.layerOf[name]; ok && (err == nil || errdefs.IsAlreadyExists(err)) {
		r.prog.finish(l.Digest)
	}
	return err
}

func (r *reportingSnapshotter) Prepare(ctx context.Context, key, parent string, opts ...snapshots.Opt) ([]mount.Mount, error) {
	return r.snapshotDB.Prepare(ctx, key, parent, opts...)
}

type countingReadCloser struct {
	rc     io.ReadCloser
	n      int64
	report func(int64)
}

func (c *countingReadCloser) Read(p []byte) (int, error) {
	n, err := c.rc.Read(p)
	if n > 0 {
		c.n += int64(n)
		c.report(c.n)
	}
	return n, err
}

func (c *countingReadCloser) Close() error { return c.rc.Close() }

// shortID is Docker's 12-hex-digit layer ID.
func shortID(d digest.Digest) string {
	h := d.Encoded()
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// pullProgress turns the registry's blob updates into Docker's layer
// messages. Configs and manifests are not reported, as Docker does not.
type pullProgress struct {
	mu     sync.Mutex
	send   func(Event)
	layers map[digest.Digest]string // last status per layer
}

func (p *pullProgress) emit(ev Event) {
	if p.send == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.send(ev)
}

// Progress implements registry.Progress.
func (p *pullProgress) Progress(u registry.Update) {
	if !isLayer(u.MediaType) {
		return
	}
	id := shortID(u.Digest)
	p.mu.Lock()
	prev, seen := p.layers[u.Digest]
	p.mu.Unlock()
	if !seen && u.State != registry.StateExists {
		p.set(u.Digest, "Pulling fs layer")
		p.emit(Event{ID: id, Status: "Pulling fs layer"})
	}
	switch u.State {
	case registry.StateExists:
		p.set(u.Digest, "Already exists")
		p.emit(Event{ID: id, Status: "Already exists"})
	case registry.StateActive:
		p.set(u.Digest, "Downloading")
		p.emit(Event{ID: id, Status: "Downloading", Current: u.Done, Total: u.Total})
	case registry.StateRetrying:
		p.emit(Event{ID: id, Status: "Retrying"})
	case registry.StateDone:
		if prev != "Download complete" {
			p.set(u.Digest, "Download complete")
			p.emit(Event{ID: id, Status: "Verifying Checksum"})
			p.emit(Event{ID: id, Status: "Download complete"})
		}
	}
}

func (p *pullProgress) set(d digest.Digest, status string) {
	p.mu.Lock()
	p.layers[d] = status
	p.mu.Unlock()
}

// finish reports a layer unpacked, once; a layer that was already there
// keeps its "Already exists".
func (p *pullProgress) finish(d digest.Digest) {
	p.mu.Lock()
	prev := p.layers[d]
	done := prev == "Pull complete" || prev == "Already exists"
	if !done {
		p.layers[d] = "Pull complete"
	}
	p.mu.Unlock()
	if !done {
		p.emit(Event{ID: shortID(d), Status: "Pull complete"})
	}
}

// isLayer tells layers from configs (OCI "...layer.v1.tar+gzip", Docker
// "...image.rootfs.diff.tar.gzip", foreign layers alike).
func isLayer(mediaType string) bool {
	return strings.Contains(mediaType, "layer") || strings.Contains(mediaType, "rootfs")
}

// quietProgress tracks layers for unpack without reporting.
func quietProgress() *pullProgress { return &pullProgress{layers: map[digest.Digest]string{}} }
