package content

import (
	"context"
	"fmt"
	"io"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cais-project/cais/internal/errdefs"
)

// Open returns a sequential reader of a committed blob. With verify, the
// reader re-hashes the content as it is read and its final Read fails with
// errdefs.ErrInvalidArgument if the bytes on disk no longer match
// desc.Digest; a caller must read to io.EOF to get that check.
func Open(ctx context.Context, p Provider, desc ocispec.Descriptor, verify bool) (io.ReadCloser, error) {
	ra, err := p.ReaderAt(ctx, desc)
	if err != nil {
		return nil, err
	}
	r := io.NewSectionReader(ra, 0, ra.Size())
	if !verify {
		return readCloser{Reader: r, Closer: ra}, nil
	}
	if err := desc.Digest.Validate(); err != nil {
		ra.Close()
		return nil, fmt.Errorf("digest %q: %v: %w", desc.Digest, err, errdefs.ErrInvalidArgument)
	}
	return readCloser{Reader: &verifyingReader{r: r, v: desc.Digest.Verifier(), dgst: desc.Digest}, Closer: ra}, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

type verifyingReader struct {
	r    io.Reader
	v    digest.Verifier
	dgst digest.Digest
}

func (vr *verifyingReader) Read(p []byte) (int, error) {
	n, err := vr.r.Read(p)
	vr.v.Write(p[:n])
	if err == io.EOF && !vr.v.Verified() {
		return n, fmt.Errorf("blob %s: stored content does not match its digest: %w", vr.dgst, errdefs.ErrInvalidArgument)
	}
	return n, err
}

// ReadBlob reads a whole committed blob and verifies it. It refuses blobs
// larger than limit bytes with errdefs.ErrInvalidArgument, so a caller
// parsing JSON never loads an unbounded blob into memory.
func ReadBlob(ctx context.Context, p Provider, desc ocispec.Descriptor, limit int64) ([]byte, error) {
	ra, err := p.ReaderAt(ctx, desc)
	if err != nil {
		return nil, err
	}
	defer ra.Close()
	if ra.Size() > limit {
		return nil, fmt.Errorf("blob %s has %d bytes, more than the limit %d: %w",
			desc.Digest, ra.Size(), limit, errdefs.ErrInvalidArgument)
	}
	b := make([]byte, ra.Size())
	if _, err := ra.ReadAt(b, 0); err != nil && err != io.EOF {
		return nil, fmt.Errorf("reading blob %s: %w", desc.Digest, err)
	}
	if desc.Digest.Validate() != nil || desc.Digest.Algorithm().FromBytes(b) != desc.Digest {
		return nil, fmt.Errorf("blob %s: stored content does not match its digest: %w", desc.Digest, errdefs.ErrInvalidArgument)
	}
	return b, nil
}

// WriteBlob writes r as the blob desc into the ingester under ref,
// waiting for another writer of ref, and commits it verified against desc.
// A blob that is already present is not an error: WriteBlob returns nil
// without reading r.
func WriteBlob(ctx context.Context, ing Ingester, ref string, r io.Reader, desc ocispec.Descriptor) error {
	w, err := WaitWriter(ctx, ing, ref, desc)
	if errdefs.IsAlreadyExists(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if w.Offset() > 0 {
		if err := w.Truncate(0); err != nil {
			w.Close()
			return err
		}
	}
	if _, err := io.Copy(w, r); err != nil {
		w.Close()
		return fmt.Errorf("writing blob %s: %w", desc.Digest, err)
	}
	if err := w.Commit(ctx, desc.Size, desc.Digest); err != nil && !errdefs.IsAlreadyExists(err) {
		return err
	}
	return nil
}
