package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/containerd/platforms"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/image/content"
	"github.com/cais-project/cais/internal/image/metadata"
)

// LabelSource is the image record label naming the repository an image was
// pulled from ("registry/repo"); Push uses it for cross-repository mounts.
const LabelSource = "cais.io/source"

// ContentStore is what this package needs of the content store
// (content.Store implements it).
type ContentStore interface {
	content.Provider
	content.Ingester
	Info(ctx context.Context, dgst digest.Digest) (content.Info, error)
	Abort(ctx context.Context, ref string) error
}

// ImageStore is what this package needs of the image records
// (metadata.Store implements it).
type ImageStore interface {
	Get(ctx context.Context, name string) (metadata.Image, error)
	Create(ctx context.Context, img metadata.Image) (metadata.Image, error)
	Update(ctx context.Context, img metadata.Image, fields ...string) (metadata.Image, error)
}

// Store is where pulls put, and pushes take, images.
type Store struct {
	Content ContentStore
	Images  ImageStore
}

// Image is an image record resolved for one platform.
type Image struct {
	Record metadata.Image
	// ManifestDescriptor is the platform's manifest: Record.Target itself,
	// or the entry chosen from the index Record.Target names.
	ManifestDescriptor ocispec.Descriptor
	Manifest           ocispec.Manifest
	// Config is the parsed image config; zero when the manifest's config
	// is not an image config (an artifact).
	Config ocispec.Image
	// Layers are the manifest's layers, in order (as Manifest.Layers).
	Layers []ocispec.Descriptor
	// Platform is the config's platform (or the one asked for, for
	// artifacts).
	Platform ocispec.Platform
	// Runnable is true when the config is an image config and every layer
	// has a layer media type and is in the content store.
	Runnable bool
	// Missing are layers not in the store (foreign layers not fetched).
	Missing []ocispec.Descriptor
}

// Load resolves the image record name from the local stores for the
// platform WithPlatform names (default: the host's). Only WithPlatform and
// WithManifestLimit matter here.
func Load(ctx context.Context, st Store, name string, opts ...Option) (Image, error) {
	o := newOptions(opts)
	rec, err := st.Images.Get(ctx, name)
	if err != nil {
		return Image{}, err
	}
	return load(ctx, st.Content, rec, o.platform, o.manifestLimit)
}

func load(ctx context.Context, cs ContentStore, rec metadata.Image, platform ocispec.Platform, limit int64) (Image, error) {
	img := Image{Record: rec, ManifestDescriptor: rec.Target, Platform: platform}
	if isIndex(rec.Target.MediaType) {
		var idx ocispec.Index
		if err := readJSON(ctx, cs, rec.Target, limit, &idx); err != nil {
			return Image{}, err
		}
		m, err := selectManifest(idx, platform)
		if err != nil {
			return Image{}, fmt.Errorf("image %s: %w", rec.Name, err)
		}
		img.ManifestDescriptor = m
	}
	if !isManifest(img.ManifestDescriptor.MediaType) {
		return Image{}, fmt.Errorf("image %s: media type %q: %w", rec.Name, img.ManifestDescriptor.MediaType, errdefs.ErrNotImplemented)
	}
	if err := readJSON(ctx, cs, img.ManifestDescriptor, limit, &img.Manifest); err != nil {
		return Image{}, err
	}
	img.Layers = img.Manifest.Layers
	img.Runnable = isImageConfig(img.Manifest.Config.MediaType)
	if img.Runnable {
		if err := readJSON(ctx, cs, img.Manifest.Config, limit, &img.Config); err != nil {
			return Image{}, err
		}
		img.Platform = platforms.Normalize(img.Config.Platform)
	}
	for _, l := range img.Layers {
		if _, ok := LayerCompression(l.MediaType); !ok {
			img.Runnable = false
		}
		if _, err := cs.Info(ctx, l.Digest); errdefs.IsNotFound(err) {
			img.Missing = append(img.Missing, l)
			img.Runnable = false
		} else if err != nil {
			return Image{}, err
		}
	}
	return img, nil
}

func readJSON(ctx context.Context, p content.Provider, desc ocispec.Descriptor, limit int64, v any) error {
	b, err := content.ReadBlob(ctx, p, desc, limit)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("parsing %s %s: %v: %w", desc.MediaType, desc.Digest, err, errdefs.ErrInvalidArgument)
	}
	return nil
}

// selectManifest picks the best manifest of idx for platform: an exact
// match first, then compatible variants (arm/v7 runs arm/v6).
func selectManifest(idx ocispec.Index, platform ocispec.Platform) (ocispec.Descriptor, error) {
	m := platforms.Only(platform)
	var found []ocispec.Descriptor
	var have []string
	for _, d := range idx.Manifests {
		if d.Platform == nil || !isManifest(d.MediaType) {
			continue
		}
		have = append(have, platforms.Format(*d.Platform))
		if m.Match(*d.Platform) {
			found = append(found, d)
		}
	}
	if len(found) == 0 {
		return ocispec.Descriptor{}, fmt.Errorf("no manifest for platform %s (index has %s): %w",
			platforms.Format(platform), strings.Join(have, ", "), errdefs.ErrNotFound)
	}
	sort.SliceStable(found, func(i, j int) bool { return m.Less(*found[i].Platform, *found[j].Platform) })
	return found[0], nil
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
