package transfer

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/image/content"
	"github.com/cais-project/cais/internal/image/metadata"
	"github.com/cais-project/cais/internal/image/registry"
)

// Limits on what Load accepts.
const (
	// maxFiles bounds the files of one archive: each is held as an open,
	// uncommitted write until the archive has been checked. An image with
	// the kernel's limit of 128 overlay layers, saved in the oldest docker
	// layout (three files a layer), needs a few hundred.
	maxFiles = 2048
	// maxKept bounds the total bytes of small files kept in memory to be
	// parsed as JSON.
	maxKept = 64 << 20
)

// Load reads a docker-archive (manifest.json; Docker 20.10's layout with
// <id>/layer.tar directories as well as Docker 25's OCI layout with
// manifest.json) or an OCI archive (oci-layout and index.json) from r into
// st, and records every image it holds. It returns the names recorded, in
// archive order: the RepoTags of manifest.json, or the
// io.containerd.image.name or org.opencontainers.image.ref.name annotation
// of index.json when it is a full reference; an image with no name is
// recorded under its manifest's digest. A record that exists is moved to
// the loaded image.
//
// Archives from docker save hold uncompressed layer tars; they are stored
// as they are (media type application/vnd.oci.image.layer.v1.tar), with a
// new OCI manifest when the archive has none.
//
// Load refuses (errdefs.ErrInvalidArgument), before committing anything:
// entries that are not plain files or directories (hard links, devices),
// except symlinks from one file of the archive to another (Docker and
// Podman write a repeated layer so), names that are absolute or contain
// "..", duplicate names, JSON
// documents over DefaultJSONLimit, blobs whose content does not match the
// digest in their path, images that refer to blobs neither in the archive
// nor in the store, uncompressed layers that do not match the config's
// diff_ids, and archives with neither manifest.json nor index.json.
func Load(ctx context.Context, st Store, r io.Reader) ([]string, error) {
	l := &loader{st: st, prefix: "load-" + randomID(), files: map[string]*stagedFile{}, byDigest: map[digest.Digest]*stagedFile{}}
	defer l.cleanup(ctx)
	if err := l.read(ctx, r); err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	imgs, err := l.images(ctx)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if err := l.commit(ctx); err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	var names []string
	for _, img := range imgs {
		for _, n := range img.names {
			if err := setRecord(ctx, st.Images, metadata.Image{Name: n, Target: img.target}); err != nil {
				return names, fmt.Errorf("load: recording %s: %w", n, err)
			}
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	return names, nil
}

// loader is the state of one Load.
type loader struct {
	st     Store
	prefix string
	seq    int
	kept   int64

	files    map[string]*stagedFile        // by archive path
	aliases  map[string]string             // symlink path -> target path
	staged   []*stagedFile                 // every file staged, once
	byDigest map[digest.Digest]*stagedFile // by content digest
	// order is the blobs to commit, children before parents.
	order []*stagedFile
	// made are documents Load wrote itself (manifests for archives without
	// one), committed after the blobs.
	made []madeBlob
	done bool
}

// stagedFile is one archive file, written to an uncommitted ingest (or
// found already in the store).
type stagedFile struct {
	path   string
	desc   ocispec.Descriptor // digest and size of the content
	w      content.Writer     // nil when the store already had the blob
	ref    string
	data   []byte // the content, kept when small enough to be JSON
	magic  []byte // the first bytes, to tell compressed layers
	queued bool
}

type madeBlob struct {
	desc ocispec.Descriptor
	data []byte
}

type loadedImage struct {
	target ocispec.Descriptor
	names  []string
}

// read stages every file of the archive.
func (l *loader) read(ctx context.Context, r io.Reader) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return l.resolveAliases()
		}
		if err != nil {
			return fmt.Errorf("reading archive: %v: %w", err, errdefs.ErrInvalidArgument)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		switch h.Typeflag {
		case tar.TypeDir, tar.TypeXGlobalHeader:
			continue
		case tar.TypeReg:
		case tar.TypeSymlink:
			if err := l.alias(h.Name, h.Linkname); err != nil {
				return err
			}
			continue
		default:
			return fmt.Errorf("entry %q is of type %q; an image archive holds only files and directories: %w",
				h.Name, h.Typeflag, errdefs.ErrInvalidArgument)
		}
		name, err := cleanName(h.Name)
		if err != nil {
			return err
		}
		if l.files[name] != nil || l.aliases[name] != "" {
			return fmt.Errorf("entry %q appears twice: %w", name, errdefs.ErrInvalidArgument)
		}
		if len(l.files) >= maxFiles {
			return fmt.Errorf("more than %d files: %w", maxFiles, errdefs.ErrInvalidArgument)
		}
		if skipped(name) {
			continue
		}
		f, err := l.stage(ctx, name, h.Size, tr)
		if err != nil {
			return fmt.Errorf("entry %q: %w", name, err)
		}
		l.files[name] = f
		l.staged = append(l.staged, f)
		if _, ok := l.byDigest[f.desc.Digest]; !ok {
			l.byDigest[f.desc.Digest] = f
		}
	}
}

// alias records a symlink entry. Docker and Podman write a layer that
// appears twice as a symlink to its first copy ("<id>/layer.tar ->
// ../<other>/layer.tar"); such a link is followed only to another file of
// the archive, never outside it.
func (l *loader) alias(name, target string) error {
	n, err := cleanName(name)
	if err != nil {
		return err
	}
	if strings.HasPrefix(target, "/") {
		return fmt.Errorf("entry %q is a symlink to %q; only links to other files of the archive are followed: %w", name, target, errdefs.ErrInvalidArgument)
	}
	to := path.Join(path.Dir(n), target)
	if to == ".." || strings.HasPrefix(to, "../") {
		return fmt.Errorf("entry %q is a symlink to %q, outside the archive: %w", name, target, errdefs.ErrInvalidArgument)
	}
	if l.files[n] != nil || l.aliases[n] != "" {
		return fmt.Errorf("entry %q appears twice: %w", n, errdefs.ErrInvalidArgument)
	}
	if l.aliases == nil {
		l.aliases = map[string]string{}
	}
	l.aliases[n] = to
	return nil
}

// resolveAliases makes each symlink name another for the file it points
// to; a link to anything but a file of the archive is refused.
func (l *loader) resolveAliases() error {
	for name, to := range l.aliases {
		f := l.files[to]
		if f == nil || l.aliases[to] != "" {
			return fmt.Errorf("entry %q is a symlink to %q, which is not a file of the archive: %w", name, to, errdefs.ErrInvalidArgument)
		}
		l.files[name] = f
	}
	return nil
}

// cleanName checks an entry name and returns it in canonical form.
func cleanName(name string) (string, error) {
	n := strings.TrimPrefix(name, "./")
	if n == "" || strings.HasPrefix(n, "/") || slices.Contains(strings.Split(n, "/"), "..") || path.Clean(n) != n {
		return "", fmt.Errorf("entry name %q is not a clean relative path: %w", name, errdefs.ErrInvalidArgument)
	}
	return n, nil
}

// skipped names files of the old docker save layout that Load does not
// need: each layer's v1 json and VERSION, and the repositories file (its
// names are in manifest.json too).
func skipped(name string) bool {
	dir, base := path.Split(name)
	return name == "repositories" || (dir != "" && (base == "json" || base == "VERSION"))
}

// jsonFile reports whether name is a top-level document, always kept in
// memory.
func jsonFile(name string) bool {
	return name == "manifest.json" || name == ocispec.ImageIndexFile || name == ocispec.ImageLayoutFile
}

// stage writes one file into an uncommitted ingest, hashing it. A file
// under blobs/ must match the digest its path names.
func (l *loader) stage(ctx context.Context, name string, size int64, r io.Reader) (_ *stagedFile, err error) {
	if size < 0 {
		return nil, fmt.Errorf("size %d: %w", size, errdefs.ErrInvalidArgument)
	}
	f := &stagedFile{path: name, desc: ocispec.Descriptor{Size: size}}
	if jsonFile(name) && size > DefaultJSONLimit {
		return nil, fmt.Errorf("%d bytes, more than the limit of %d: %w", size, DefaultJSONLimit, errdefs.ErrInvalidArgument)
	}
	var want digest.Digest
	if rest, ok := strings.CutPrefix(name, "blobs/"); ok {
		want = digest.Digest(strings.Replace(rest, "/", ":", 1))
		if err := want.Validate(); err != nil {
			return nil, fmt.Errorf("a blob path must be blobs/<algorithm>/<hex>: %v: %w", err, errdefs.ErrInvalidArgument)
		}
	}
	var sinks []io.Writer
	var kept *bytes.Buffer
	if size <= DefaultJSONLimit && (jsonFile(name) || l.kept+size <= maxKept) {
		kept = bytes.NewBuffer(make([]byte, 0, size))
		sinks = append(sinks, kept)
		if !jsonFile(name) {
			l.kept += size
		}
	}
	magic := &prefixWriter{n: 4}
	sinks = append(sinks, magic)
	if !jsonFile(name) {
		l.seq++
		f.ref = fmt.Sprintf("%s-%d", l.prefix, l.seq)
		w, werr := l.st.Content.Writer(ctx, f.ref, ocispec.Descriptor{Digest: want, Size: size})
		switch {
		case errdefs.IsAlreadyExists(werr):
			f.ref = ""
		case werr != nil:
			return nil, werr
		default:
			f.w = w
			sinks = append(sinks, w)
			defer func() {
				if err != nil {
					w.Close()
					_ = l.st.Content.Abort(context.WithoutCancel(ctx), f.ref)
				}
			}()
		}
	}
	// The writer hashes what it stores (in want's algorithm); hash here
	// only what is not stored.
	h := digest.Canonical.Digester()
	if want != "" {
		h = want.Algorithm().Digester()
	}
	if f.w == nil {
		sinks = append(sinks, h.Hash())
	}
	n, err := io.Copy(io.MultiWriter(sinks...), r)
	if err != nil {
		return nil, fmt.Errorf("reading: %w", err)
	}
	if n != size {
		return nil, fmt.Errorf("archive ends inside the entry: %w", errdefs.ErrInvalidArgument)
	}
	f.desc.Digest = h.Digest()
	if f.w != nil {
		f.desc.Digest = f.w.Digest()
	}
	if want != "" && f.desc.Digest != want {
		return nil, fmt.Errorf("content is %s, not what its name says: %w", f.desc.Digest, errdefs.ErrInvalidArgument)
	}
	if kept != nil {
		f.data = kept.Bytes()
	}
	f.magic = magic.b
	return f, nil
}

// prefixWriter keeps the first n bytes written to it.
type prefixWriter struct {
	n int
	b []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	if need := p.n - len(p.b); need > 0 {
		p.b = append(p.b, b[:min(need, len(b))]...)
	}
	return len(b), nil
}

// images works out what the staged files hold and checks it is complete.
func (l *loader) images(ctx context.Context) ([]loadedImage, error) {
	var dockerEntries []dockerEntry
	if f := l.files["manifest.json"]; f != nil {
		if err := strictJSON(f.data, &dockerEntries); err != nil {
			return nil, fmt.Errorf("manifest.json: %w", err)
		}
	}
	if f := l.files[ocispec.ImageIndexFile]; f != nil {
		return l.ociImages(ctx, f, dockerEntries)
	}
	if l.files["manifest.json"] != nil {
		return l.dockerImages(ctx, dockerEntries)
	}
	return nil, fmt.Errorf("neither manifest.json nor index.json: not an image archive: %w", errdefs.ErrInvalidArgument)
}

// ociImages reads index.json; names come from its annotations and from
// the RepoTags of a docker manifest.json entry with the same config.
func (l *loader) ociImages(ctx context.Context, f *stagedFile, entries []dockerEntry) ([]loadedImage, error) {
	if lf := l.files[ocispec.ImageLayoutFile]; lf != nil {
		var layout ocispec.ImageLayout
		if err := strictJSON(lf.data, &layout); err != nil {
			return nil, fmt.Errorf("oci-layout: %w", err)
		}
		if layout.Version != ocispec.ImageLayoutVersion {
			return nil, fmt.Errorf("oci-layout version %q: %w", layout.Version, errdefs.ErrNotImplemented)
		}
	}
	var idx ocispec.Index
	if err := strictJSON(f.data, &idx); err != nil {
		return nil, fmt.Errorf("index.json: %w", err)
	}
	var out []loadedImage
	for i, d := range idx.Manifests {
		config, err := l.walk(ctx, d, true)
		if err != nil {
			return nil, fmt.Errorf("index.json entry %d (%s): %w", i, d.Digest, err)
		}
		img := loadedImage{target: ocispec.Descriptor{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size}}
		for _, a := range []string{AnnotationContainerdRef, AnnotationRefName} {
			if n, ok := fullName(d.Annotations[a]); ok && !slices.Contains(img.names, n) {
				img.names = append(img.names, n)
			}
		}
		for _, e := range entries {
			if config != "" && e.Config == blobPath(config) {
				if err := addTags(&img, e.RepoTags); err != nil {
					return nil, err
				}
			}
		}
		if len(img.names) == 0 {
			img.names = []string{d.Digest.String()}
		}
		out = append(out, img)
	}
	return out, nil
}

// fullName accepts an annotation as an image name only when it names a
// repository, not just a tag (skopeo writes ref.name "latest" for
// oci:dir:latest).
func fullName(s string) (string, bool) {
	if s == "" || !strings.ContainsAny(s, "/:@") {
		return "", false
	}
	n, err := recordName(s)
	return n, err == nil
}

func addTags(img *loadedImage, tags []string) error {
	for _, t := range tags {
		n, err := recordName(t)
		if err != nil {
			return fmt.Errorf("manifest.json RepoTags %q: %w", t, err)
		}
		if !slices.Contains(img.names, n) {
			img.names = append(img.names, n)
		}
	}
	return nil
}

// walk checks that desc and what it refers to are present, queues the
// staged ones for commit (children first), and returns the config digest
// of a manifest. Children of an index may be missing (an archive can hold
// one platform of several); when top is false a missing blob is reported
// as errdefs.ErrNotFound for the caller to decide.
func (l *loader) walk(ctx context.Context, desc ocispec.Descriptor, top bool) (digest.Digest, error) {
	if err := desc.Digest.Validate(); err != nil {
		return "", fmt.Errorf("digest %q: %v: %w", desc.Digest, err, errdefs.ErrInvalidArgument)
	}
	switch desc.MediaType {
	case ocispec.MediaTypeImageIndex, registry.DockerManifestList:
		var idx ocispec.Index
		if err := l.readJSON(ctx, desc, &idx); err != nil {
			return "", err
		}
		found := 0
		for _, c := range idx.Manifests {
			_, err := l.walk(ctx, c, false)
			if errdefs.IsNotFound(err) {
				continue
			}
			if err != nil {
				return "", err
			}
			found++
		}
		if found == 0 {
			return "", fmt.Errorf("index %s: none of its manifests is in the archive: %w", desc.Digest, errdefs.ErrInvalidArgument)
		}
		return "", l.queue(ctx, desc)
	case ocispec.MediaTypeImageManifest, registry.DockerManifest:
		var m ocispec.Manifest
		if err := l.readJSON(ctx, desc, &m); err != nil {
			if errdefs.IsNotFound(err) && top {
				err = fmt.Errorf("%w (so: %w)", err, errdefs.ErrInvalidArgument)
			}
			return "", err
		}
		if err := l.checkManifest(ctx, m); err != nil {
			return "", fmt.Errorf("manifest %s: %w", desc.Digest, err)
		}
		return m.Config.Digest, l.queue(ctx, desc)
	}
	return "", fmt.Errorf("index.json names media type %q: %w", desc.MediaType, errdefs.ErrNotImplemented)
}

// checkManifest checks an image's config and layers and queues them.
func (l *loader) checkManifest(ctx context.Context, m ocispec.Manifest) error {
	var config ocispec.Image
	if err := l.readJSON(ctx, m.Config, &config); err != nil {
		return mustExist(err)
	}
	if len(config.RootFS.DiffIDs) != len(m.Layers) {
		return fmt.Errorf("config %s has %d diff_ids for %d layers: %w", m.Config.Digest, len(config.RootFS.DiffIDs), len(m.Layers), errdefs.ErrInvalidArgument)
	}
	if err := l.queue(ctx, m.Config); err != nil {
		return err
	}
	for i, d := range m.Layers {
		if err := d.Digest.Validate(); err != nil {
			return fmt.Errorf("layer %d: digest %q: %v: %w", i, d.Digest, err, errdefs.ErrInvalidArgument)
		}
		if registry.IsForeign(d.MediaType) && l.byDigest[d.Digest] == nil {
			continue
		}
		if c, ok := registry.LayerCompression(d.MediaType); ok && c == "" && d.Digest != config.RootFS.DiffIDs[i] {
			return fmt.Errorf("uncompressed layer %d is %s but the config says %s: %w", i, d.Digest, config.RootFS.DiffIDs[i], errdefs.ErrInvalidArgument)
		}
		if err := l.queue(ctx, d); err != nil {
			return mustExist(err)
		}
	}
	return nil
}

// mustExist turns "not found" into a refusal: a manifest's blobs are
// required.
func mustExist(err error) error {
	if errdefs.IsNotFound(err) {
		return fmt.Errorf("%w (an image's blobs must all be there): %w", err, errdefs.ErrInvalidArgument)
	}
	return err
}

// queue marks a blob for commit after checking it is staged (with the
// size desc says) or already in the store.
func (l *loader) queue(ctx context.Context, desc ocispec.Descriptor) error {
	if f := l.byDigest[desc.Digest]; f != nil {
		if desc.Size != 0 && desc.Size != f.desc.Size {
			return fmt.Errorf("blob %s is %d bytes, its descriptor says %d: %w", desc.Digest, f.desc.Size, desc.Size, errdefs.ErrInvalidArgument)
		}
		if !f.queued {
			f.queued = true
			l.order = append(l.order, f)
		}
		return nil
	}
	info, err := l.st.Content.Info(ctx, desc.Digest)
	if err != nil {
		return fmt.Errorf("blob %s is neither in the archive nor in the store: %w", desc.Digest, err)
	}
	if desc.Size != 0 && desc.Size != info.Size {
		return fmt.Errorf("blob %s is %d bytes, its descriptor says %d: %w", desc.Digest, info.Size, desc.Size, errdefs.ErrInvalidArgument)
	}
	return nil
}

// readJSON parses a blob from the archive or, failing that, the store.
func (l *loader) readJSON(ctx context.Context, desc ocispec.Descriptor, v any) error {
	if desc.Size > DefaultJSONLimit {
		return fmt.Errorf("%s %s: %d bytes, more than the limit of %d: %w", desc.MediaType, desc.Digest, desc.Size, DefaultJSONLimit, errdefs.ErrInvalidArgument)
	}
	var b []byte
	if f := l.byDigest[desc.Digest]; f != nil {
		if f.data == nil || int64(len(f.data)) != f.desc.Size {
			return fmt.Errorf("%s %s: too large to parse: %w", desc.MediaType, desc.Digest, errdefs.ErrInvalidArgument)
		}
		b = f.data
	} else {
		var err error
		if b, err = content.ReadBlob(ctx, l.st.Content, desc, DefaultJSONLimit); err != nil {
			return fmt.Errorf("%s %s is neither in the archive nor in the store: %w", desc.MediaType, desc.Digest, err)
		}
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("parsing %s %s: %v: %w", desc.MediaType, desc.Digest, err, errdefs.ErrInvalidArgument)
	}
	return nil
}

func strictJSON(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%v: %w", err, errdefs.ErrInvalidArgument)
	}
	return nil
}

// dockerImages makes images of manifest.json entries whose paths are not
// blobs/ of an OCI layout (docker save before Docker 25): each gets a new
// OCI manifest.
func (l *loader) dockerImages(ctx context.Context, entries []dockerEntry) ([]loadedImage, error) {
	if len(entries) == 0 {
		return nil, fmt.Errorf("manifest.json lists no images: %w", errdefs.ErrInvalidArgument)
	}
	var out []loadedImage
	for i, e := range entries {
		m, err := l.dockerManifest(ctx, e)
		if err != nil {
			return nil, fmt.Errorf("manifest.json entry %d: %w", i, err)
		}
		b, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		desc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromBytes(b), Size: int64(len(b))}
		l.made = append(l.made, madeBlob{desc, b})
		img := loadedImage{target: desc}
		if err := addTags(&img, e.RepoTags); err != nil {
			return nil, err
		}
		if len(img.names) == 0 {
			img.names = []string{desc.Digest.String()}
		}
		out = append(out, img)
	}
	return out, nil
}

func (l *loader) dockerManifest(ctx context.Context, e dockerEntry) (ocispec.Manifest, error) {
	file := func(p string) (*stagedFile, error) {
		n, err := cleanName(p)
		if err != nil {
			return nil, err
		}
		f := l.files[n]
		if f == nil {
			return nil, fmt.Errorf("%q is not in the archive: %w", p, errdefs.ErrInvalidArgument)
		}
		return f, nil
	}
	cf, err := file(e.Config)
	if err != nil {
		return ocispec.Manifest{}, fmt.Errorf("config: %w", err)
	}
	m := ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: cf.desc.Digest, Size: cf.desc.Size},
	}
	for _, p := range e.Layers {
		f, err := file(p)
		if err != nil {
			return ocispec.Manifest{}, fmt.Errorf("layer: %w", err)
		}
		m.Layers = append(m.Layers, ocispec.Descriptor{MediaType: layerMediaType(f.magic), Digest: f.desc.Digest, Size: f.desc.Size})
	}
	if err := l.checkManifest(ctx, m); err != nil {
		return ocispec.Manifest{}, err
	}
	return m, nil
}

// layerMediaType tells a layer's compression by its magic number, as
// Docker's loader does.
func layerMediaType(magic []byte) string {
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		return ocispec.MediaTypeImageLayerGzip
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return ocispec.MediaTypeImageLayerZstd
	}
	return ocispec.MediaTypeImageLayer
}

// commit publishes the queued blobs (children first), then the documents
// Load made.
func (l *loader) commit(ctx context.Context) error {
	for _, f := range l.order {
		if f.w == nil {
			continue
		}
		err := f.w.Commit(ctx, f.desc.Size, f.desc.Digest)
		f.w = nil
		if err != nil && !errdefs.IsAlreadyExists(err) {
			return fmt.Errorf("committing %s: %w", f.path, err)
		}
	}
	for _, m := range l.made {
		if err := content.WriteBlob(ctx, l.st.Content, l.prefix+"-"+m.desc.Digest.Encoded(), bytes.NewReader(m.data), m.desc); err != nil {
			return fmt.Errorf("committing manifest %s: %w", m.desc.Digest, err)
		}
	}
	l.done = true
	return nil
}

// cleanup drops every ingest not committed: all of them after a failure,
// the files no image referred to after a success.
func (l *loader) cleanup(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	for _, f := range l.staged {
		if f.w != nil {
			f.w.Close()
		}
		if f.ref != "" && (f.w != nil || !l.done) {
			_ = l.st.Content.Abort(ctx, f.ref)
		}
	}
}

func randomID() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}
