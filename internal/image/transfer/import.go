package transfer

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/containerd/platforms"
	"github.com/klauspost/compress/gzip"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/image/archive"
	"github.com/cais-project/cais/internal/image/content"
	"github.com/cais-project/cais/internal/image/metadata"
	"github.com/cais-project/cais/internal/image/registry"
)

// ImportOptions are the optional parts of an import.
type ImportOptions struct {
	// Changes are Dockerfile instructions applied to the config, as
	// docker import --change takes them: CMD, ENTRYPOINT, ENV, WORKDIR,
	// USER, EXPOSE, LABEL, VOLUME, STOPSIGNAL.
	Changes []string
	// Platform is the image's platform; the zero value means the host's.
	Platform ocispec.Platform
	// Source is what the history entry says was imported ("imported from
	// <Source>"); "-" when empty, as docker import says for stdin.
	Source string
	// Message is the history entry's comment (docker import --message).
	Message string
	// Created is the image's creation time; zero means now.
	Created time.Time
}

// Import makes a one-layer image of the root filesystem tarball r (plain,
// gzip or zstd), as docker import does, and records it under ref (a
// reference as a user writes it; the image is recorded by its manifest
// digest when ref is empty). The layer is stored gzip-compressed; the
// config has the layer's diff_id, the platform and a history entry, plus
// opts.Changes. It returns the new image resolved as registry.Load would.
//
// The tarball is checked to be a tar archive on the way through (its
// entries are not rewritten: unpacking applies the usual safety rules).
// Errors: a bad change or a stream that is not a tar archive:
// errdefs.ErrInvalidArgument. On error no record is made (a layer blob may
// remain in the store unreferenced, for garbage collection).
func Import(ctx context.Context, st Store, r io.Reader, ref string, opts ImportOptions) (registry.Image, error) {
	name := ""
	if ref != "" {
		var err error
		if name, err = recordName(ref); err != nil {
			return registry.Image{}, fmt.Errorf("import: %w", err)
		}
	}
	config, err := importConfig(opts)
	if err != nil {
		return registry.Image{}, fmt.Errorf("import: %w", err)
	}
	layer, diffID, err := writeLayer(ctx, st.Content, r)
	if err != nil {
		return registry.Image{}, fmt.Errorf("import: %w", err)
	}
	config.RootFS = ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{diffID}}
	target, err := writeImage(ctx, st.Content, config, []ocispec.Descriptor{layer})
	if err != nil {
		return registry.Image{}, fmt.Errorf("import: %w", err)
	}
	if name == "" {
		name = target.Digest.String()
	}
	if err := setRecord(ctx, st.Images, metadata.Image{Name: name, Target: target}); err != nil {
		return registry.Image{}, fmt.Errorf("import: recording %s: %w", name, err)
	}
	return registry.Load(ctx, st, name, registry.WithPlatform(config.Platform))
}

// ImportDir is Import of the tree under dir, read as archive.Diff reads a
// directory: file types, modes, owners, times, xattrs and hard links kept.
func ImportDir(ctx context.Context, st Store, dir, ref string, opts ImportOptions) (registry.Image, error) {
	if opts.Source == "" {
		opts.Source = dir
	}
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(archive.Diff(ctx, nil, dir, pw))
	}()
	img, err := Import(ctx, st, pr, ref, opts)
	pr.CloseWithError(errors.New("import ended"))
	return img, err
}

func importConfig(opts ImportOptions) (ocispec.Image, error) {
	p := opts.Platform
	if p.OS == "" && p.Architecture == "" {
		p = platforms.DefaultSpec()
	}
	p = platforms.Normalize(p)
	created := opts.Created
	if created.IsZero() {
		created = time.Now()
	}
	created = created.UTC()
	source := opts.Source
	if source == "" {
		source = "-"
	}
	img := ocispec.Image{
		Created:  &created,
		Platform: p,
		History: []ocispec.History{{
			Created:   &created,
			CreatedBy: "imported from " + source,
			Comment:   opts.Message,
		}},
	}
	if err := applyChanges(&img.Config, opts.Changes); err != nil {
		return ocispec.Image{}, err
	}
	return img, nil
}

// writeLayer stores r's tar stream gzip-compressed and returns the layer's
// descriptor and diffID. The tar is parsed on the way through, so a stream
// that is not a tar archive is refused.
func writeLayer(ctx context.Context, cs registry.ContentStore, r io.Reader) (ocispec.Descriptor, digest.Digest, error) {
	ref := "import-" + randomID()
	w, err := cs.Writer(ctx, ref, ocispec.Descriptor{})
	if err != nil {
		return ocispec.Descriptor{}, "", err
	}
	committed := false
	defer func() {
		if !committed {
			w.Close()
			_ = cs.Abort(context.WithoutCancel(ctx), ref)
		}
	}()
	dr, _, err := archive.Decompress(r)
	if err != nil {
		return ocispec.Descriptor{}, "", fmt.Errorf("reading the root filesystem: %v: %w", err, errdefs.ErrInvalidArgument)
	}
	defer dr.Close()
	zw := gzip.NewWriter(w)
	diff := digest.Canonical.Digester()
	tee := io.TeeReader(dr, io.MultiWriter(diff.Hash(), zw))
	if err := checkTar(ctx, tee); err != nil {
		return ocispec.Descriptor{}, "", err
	}
	if err := zw.Close(); err != nil {
		return ocispec.Descriptor{}, "", fmt.Errorf("compressing the layer: %w", err)
	}
	desc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: w.Digest(), Size: w.Offset()}
	if err := w.Commit(ctx, desc.Size, desc.Digest); err != nil && !errdefs.IsAlreadyExists(err) {
		return ocispec.Descriptor{}, "", fmt.Errorf("committing the layer: %w", err)
	}
	committed = true
	return desc, diff.Digest(), nil
}

// checkTar reads a tar stream to its end (padding included), failing if it
// is not one.
func checkTar(ctx context.Context, r io.Reader) error {
	tr := tar.NewReader(r)
	entries := 0
	for {
		_, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("the root filesystem is not a tar archive: %v: %w", err, errdefs.ErrInvalidArgument)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		entries++
	}
	if entries == 0 {
		return fmt.Errorf("the root filesystem archive is empty: %w", errdefs.ErrInvalidArgument)
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		return fmt.Errorf("reading the root filesystem: %w", err)
	}
	return nil
}

// writeImage stores config and a manifest naming it and layers, and
// returns the manifest's descriptor.
func writeImage(ctx context.Context, cs registry.ContentStore, config ocispec.Image, layers []ocispec.Descriptor) (ocispec.Descriptor, error) {
	cb, err := json.Marshal(config)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	cdesc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: digest.FromBytes(cb), Size: int64(len(cb))}
	m := ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    cdesc,
		Layers:    layers,
	}
	mb, err := json.Marshal(m)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	mdesc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromBytes(mb), Size: int64(len(mb))}
	for _, b := range []struct {
		desc ocispec.Descriptor
		data []byte
	}{{cdesc, cb}, {mdesc, mb}} {
		if err := content.WriteBlob(ctx, cs, "import-"+b.desc.Digest.Encoded(), bytes.NewReader(b.data), b.desc); err != nil {
			return ocispec.Descriptor{}, fmt.Errorf("writing %s: %w", b.desc.MediaType, err)
		}
	}
	return mdesc, nil
}
