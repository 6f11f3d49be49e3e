package engine

import (
	"bytes"
	"context"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/image/content"
	"github.com/cais-project/cais/internal/image/metadata"
	"github.com/cais-project/cais/internal/image/registry"
)

// findRunImage is findImage for run and create, which need only the image
// the user named, not the store's whole catalogue: a reference is looked
// up by its record alone (one read of meta.db, then that record's manifest
// and config) instead of loading every image's blobs. The image's other
// names are not gathered (run uses none of them). Anything that is not a
// stored reference (an ID or an ID prefix) falls back to findImage.
func (e *Engine) findRunImage(ctx context.Context, s string) (*image, error) {
	if ref, err := e.ParseReference(s); err == nil {
		r, err := e.images.Get(ctx, ref.Name)
		if err == nil {
			memo := &blobMemo{ContentStore: e.content, blobs: map[digest.Digest][]byte{}}
			img := loadRecordFrom(ctx, memo, r)
			img.records = []metadata.Image{r}
			img.configJSON = memo.blobs[img.loaded.Manifest.Config.Digest]
			return img, nil
		}
		if !errdefs.IsNotFound(err) {
			return nil, err
		}
	}
	img, _, err := e.findImage(ctx, s)
	return img, err
}

// blobMemo is the content store seen through a memory of the blobs read
// through it, so the config blob registry.Load decodes into the OCI image
// config can be decoded again for the fields that type lacks (Docker's
// Healthcheck) without a second read from disk.
type blobMemo struct {
	registry.ContentStore
	blobs map[digest.Digest][]byte
}

func (m *blobMemo) ReaderAt(ctx context.Context, desc ocispec.Descriptor) (content.ReaderAt, error) {
	b, err := content.ReadBlob(ctx, m.ContentStore, desc, registry.DefaultManifestLimit)
	if err != nil {
		return nil, err
	}
	m.blobs[desc.Digest] = b
	return bytesBlob{bytes.NewReader(b)}, nil
}

// bytesBlob is a blob already in memory.
type bytesBlob struct{ *bytes.Reader }

func (bytesBlob) Close() error { return nil }
