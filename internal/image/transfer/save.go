package transfer

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"slices"
	"time"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/image/content"
	"github.com/cais-project/cais/internal/image/metadata"
	"github.com/cais-project/cais/internal/image/registry"
)

// Format is an archive layout Save writes.
type Format int

const (
	// FormatDockerArchive is what docker save writes since Docker 25: an
	// OCI image layout (oci-layout, index.json, blobs/) plus Docker's
	// manifest.json listing, per image, the config and layer paths and the
	// RepoTags. One platform per image (the host's). docker load (also the
	// older layout readers of Docker 20.10) and podman load read it.
	FormatDockerArchive Format = iota + 1
	// FormatOCIArchive is an OCI image layout as a tarball, each image
	// named in index.json by its org.opencontainers.image.ref.name (and
	// containerd's io.containerd.image.name) annotation. An index is saved
	// whole when all its images are in the store, else only the host's
	// platform.
	FormatOCIArchive
)

// ParseFormat reads a format as the --format flag spells it:
// "docker-archive" (or "docker") and "oci-archive" (or "oci").
func ParseFormat(s string) (Format, error) {
	switch s {
	case "docker-archive", "docker":
		return FormatDockerArchive, nil
	case "oci-archive", "oci":
		return FormatOCIArchive, nil
	}
	return 0, fmt.Errorf("archive format %q: want docker-archive or oci-archive: %w", s, errdefs.ErrInvalidArgument)
}

func (f Format) String() string {
	switch f {
	case FormatDockerArchive:
		return "docker-archive"
	case FormatOCIArchive:
		return "oci-archive"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// Annotations naming an image in an OCI layout's index.json.
const (
	AnnotationRefName       = ocispec.AnnotationRefName // "org.opencontainers.image.ref.name"
	AnnotationContainerdRef = "io.containerd.image.name"
)

// Save writes the images refs name (record names, or references as users
// write them) to w as one archive in format. Layers are written as stored
// (compressed), read back from the store and verified against their
// digests on the way out. Refs naming the same image share its blobs and
// its manifest.json entry.
//
// Errors: no refs or an unknown format: errdefs.ErrInvalidArgument; a ref
// with no record, or an image whose layers are not all in the store:
// errdefs.ErrNotFound; an artifact (not an image) as docker-archive:
// errdefs.ErrInvalidArgument. On error w holds a truncated
// archive; the stores are never changed.
func Save(ctx context.Context, st Store, refs []string, w io.Writer, format Format) error {
	if len(refs) == 0 {
		return fmt.Errorf("save: no images named: %w", errdefs.ErrInvalidArgument)
	}
	if format != FormatDockerArchive && format != FormatOCIArchive {
		return fmt.Errorf("save: %v: %w", format, errdefs.ErrInvalidArgument)
	}
	s := &saver{st: st, tw: tar.NewWriter(w), written: map[digest.Digest]bool{}, dirs: map[string]bool{}}
	for _, ref := range refs {
		if err := s.add(ctx, ref, format); err != nil {
			return fmt.Errorf("save %s: %w", ref, err)
		}
	}
	if err := s.finish(format); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	return nil
}

// saver is the state of one Save.
type saver struct {
	st      Store
	tw      *tar.Writer
	written map[digest.Digest]bool
	dirs    map[string]bool
	index   []ocispec.Descriptor
	docker  []dockerEntry
}

// dockerEntry is one image of Docker's manifest.json.
type dockerEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// epoch is the modification time of every archive entry, so saving the
// same images twice gives the same bytes.
var epoch = time.Unix(0, 0).UTC()

func (s *saver) add(ctx context.Context, ref string, format Format) error {
	rec, err := lookup(ctx, s.st, ref)
	if err != nil {
		return err
	}
	img, err := registry.Load(ctx, s.st, rec.Name)
	if err != nil {
		return err
	}
	if len(img.Missing) > 0 {
		return fmt.Errorf("layer %s is not in the store: %w", img.Missing[0].Digest, errdefs.ErrNotFound)
	}
	if format == FormatOCIArchive {
		return s.addOCI(ctx, rec, img)
	}
	return s.addDocker(ctx, rec, img)
}

// addOCI writes rec's target and everything below it when the store has it
// all, else just the resolved platform's image.
func (s *saver) addOCI(ctx context.Context, rec metadata.Image, img registry.Image) error {
	top := rec.Target
	if top.Digest != img.ManifestDescriptor.Digest {
		complete, err := s.complete(ctx, top)
		if err != nil {
			return err
		}
		if !complete {
			top = img.ManifestDescriptor
			top.Platform = &img.Platform
		}
	}
	if err := s.tree(ctx, top); err != nil {
		return err
	}
	desc := ocispec.Descriptor{MediaType: top.MediaType, Digest: top.Digest, Size: top.Size, Platform: top.Platform}
	if rec.Name != rec.Target.Digest.String() {
		desc.Annotations = map[string]string{AnnotationRefName: rec.Name, AnnotationContainerdRef: rec.Name}
	}
	s.index = append(s.index, desc)
	return nil
}

// complete reports whether every blob below desc is in the store.
func (s *saver) complete(ctx context.Context, desc ocispec.Descriptor) (bool, error) {
	children, err := s.children(ctx, desc)
	if err != nil {
		return false, err
	}
	for _, c := range children {
		if _, err := s.st.Content.Info(ctx, c.Digest); errdefs.IsNotFound(err) {
			return false, nil
		} else if err != nil {
			return false, err
		}
		if ok, err := s.complete(ctx, c); !ok || err != nil {
			return ok, err
		}
	}
	return true, nil
}

// children lists what an index or manifest refers to (nothing for others).
func (s *saver) children(ctx context.Context, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
	switch desc.MediaType {
	case ocispec.MediaTypeImageIndex, registry.DockerManifestList:
		var idx ocispec.Index
		if err := s.readJSON(ctx, desc, &idx); err != nil {
			return nil, err
		}
		return idx.Manifests, nil
	case ocispec.MediaTypeImageManifest, registry.DockerManifest:
		var m ocispec.Manifest
		if err := s.readJSON(ctx, desc, &m); err != nil {
			return nil, err
		}
		out := []ocispec.Descriptor{m.Config}
		for _, l := range m.Layers {
			if !registry.IsForeign(l.MediaType) {
				out = append(out, l)
			}
		}
		return out, nil
	}
	return nil, nil
}

// tree writes desc's blob and everything below it.
func (s *saver) tree(ctx context.Context, desc ocispec.Descriptor) error {
	children, err := s.children(ctx, desc)
	if err != nil {
		return err
	}
	for _, c := range children {
		if err := s.tree(ctx, c); err != nil {
			return err
		}
	}
	return s.blob(ctx, desc)
}

// addDocker writes the resolved platform's image and its manifest.json
// entry.
func (s *saver) addDocker(ctx context.Context, rec metadata.Image, img registry.Image) error {
	if !img.Runnable {
		return fmt.Errorf("manifest %s is not a runnable image (docker-archive holds only images): %w", img.ManifestDescriptor.Digest, errdefs.ErrInvalidArgument)
	}
	if err := s.tree(ctx, img.ManifestDescriptor); err != nil {
		return err
	}
	e := dockerEntry{Config: blobPath(img.Manifest.Config.Digest)}
	for _, l := range img.Layers {
		e.Layers = append(e.Layers, blobPath(l.Digest))
	}
	tag, tagged := familiar(rec.Name)
	desc := img.ManifestDescriptor
	desc = ocispec.Descriptor{MediaType: desc.MediaType, Digest: desc.Digest, Size: desc.Size}
	if tagged {
		desc.Annotations = map[string]string{AnnotationContainerdRef: rec.Name, AnnotationRefName: rec.Name}
	}
	s.index = append(s.index, desc)
	for i := range s.docker {
		if s.docker[i].Config == e.Config && slices.Equal(s.docker[i].Layers, e.Layers) {
			if tagged && !slices.Contains(s.docker[i].RepoTags, tag) {
				s.docker[i].RepoTags = append(s.docker[i].RepoTags, tag)
			}
			return nil
		}
	}
	if tagged {
		e.RepoTags = []string{tag}
	}
	s.docker = append(s.docker, e)
	return nil
}

func blobPath(d digest.Digest) string {
	return path.Join("blobs", d.Algorithm().String(), d.Encoded())
}

// blob copies one blob from the store into the archive, verifying it.
func (s *saver) blob(ctx context.Context, desc ocispec.Descriptor) error {
	if s.written[desc.Digest] {
		return nil
	}
	if err := desc.Digest.Validate(); err != nil {
		return fmt.Errorf("digest %q: %v: %w", desc.Digest, err, errdefs.ErrInvalidArgument)
	}
	info, err := s.st.Content.Info(ctx, desc.Digest)
	if err != nil {
		return err
	}
	rc, err := content.Open(ctx, s.st.Content, ocispec.Descriptor{Digest: desc.Digest, Size: info.Size}, true)
	if err != nil {
		return err
	}
	defer rc.Close()
	p := blobPath(desc.Digest)
	if err := s.dir(path.Dir(p)); err != nil {
		return err
	}
	if err := s.tw.WriteHeader(fileHeader(p, info.Size)); err != nil {
		return fmt.Errorf("writing %s: %w", p, err)
	}
	if _, err := io.Copy(s.tw, rc); err != nil {
		return fmt.Errorf("writing %s: %w", p, err)
	}
	s.written[desc.Digest] = true
	return nil
}

// dir writes directory entries for p and its parents, once each.
func (s *saver) dir(p string) error {
	if p == "." || s.dirs[p] {
		return nil
	}
	if err := s.dir(path.Dir(p)); err != nil {
		return err
	}
	s.dirs[p] = true
	h := &tar.Header{Typeflag: tar.TypeDir, Name: p + "/", Mode: 0o755, ModTime: epoch, Format: tar.FormatPAX}
	return s.tw.WriteHeader(h)
}

func fileHeader(name string, size int64) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o644, ModTime: epoch, Format: tar.FormatPAX}
}

func (s *saver) file(name string, data []byte) error {
	if err := s.tw.WriteHeader(fileHeader(name, int64(len(data)))); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if _, err := s.tw.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}

// finish writes the layout's top-level files and closes the archive.
func (s *saver) finish(format Format) error {
	layout, _ := json.Marshal(ocispec.ImageLayout{Version: ocispec.ImageLayoutVersion})
	idx, err := json.Marshal(ocispec.Index{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageIndex,
		Manifests: s.index,
	})
	if err != nil {
		return err
	}
	files := []struct {
		name string
		data []byte
	}{{ocispec.ImageLayoutFile, layout}, {ocispec.ImageIndexFile, idx}}
	if format == FormatDockerArchive {
		m, err := json.Marshal(s.docker)
		if err != nil {
			return err
		}
		files = append(files, struct {
			name string
			data []byte
		}{"manifest.json", m})
	}
	for _, f := range files {
		if err := s.file(f.name, f.data); err != nil {
			return err
		}
	}
	return s.tw.Close()
}

func (s *saver) readJSON(ctx context.Context, desc ocispec.Descriptor, v any) error {
	b, err := content.ReadBlob(ctx, s.st.Content, desc, DefaultJSONLimit)
	if err != nil {
		return err
	}
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(v); err != nil {
		return fmt.Errorf("parsing %s %s: %v: %w", desc.MediaType, desc.Digest, err, errdefs.ErrInvalidArgument)
	}
	return nil
}
