package content

import (
	"context"
	"io"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Provider gives random access to committed blobs.
type Provider interface {
	// ReaderAt opens the blob desc names. It fails with errdefs.ErrNotFound
	// if the blob is absent, and with errdefs.ErrInvalidArgument if
	// desc.Size is set (non-zero) and differs from the stored size. The
	// content is not re-hashed; use Open with Verify for that.
	ReaderAt(ctx context.Context, desc ocispec.Descriptor) (ReaderAt, error)
}

// ReaderAt reads a committed blob. Close it when done.
type ReaderAt interface {
	io.ReaderAt
	io.Closer
	Size() int64
}

// Ingester starts writes of new blobs.
type Ingester interface {
	// Writer starts or resumes the write named ref. expected may carry the
	// digest and size the data must have (zero values mean "unknown",
	// checked at Commit instead). If expected.Digest is already committed
	// Writer fails with errdefs.ErrAlreadyExists. If another writer (in
	// this or another process) holds ref, Writer fails at once with
	// errdefs.ErrUnavailable; WaitWriter waits instead.
	Writer(ctx context.Context, ref string, expected ocispec.Descriptor) (Writer, error)
}

// Writer writes one blob. It is not safe for concurrent use. Exactly one of
// Commit or Close must end it: Commit publishes the blob, Close keeps the
// partial data in the ingest directory for a later resume, Abort (on the
// store) drops it.
type Writer interface {
	io.Writer
	// Offset is how many bytes the ingest holds (non-zero when resuming).
	Offset() int64
	// Digest is the digest of the bytes written so far, in the expected
	// algorithm (sha256 when none was given).
	Digest() digest.Digest
	// Truncate discards all written data so the write restarts at 0 (the
	// only size accepted).
	Truncate(size int64) error
	// Commit verifies the data against size and dgst (each skipped when
	// zero) and against the expected descriptor given to Writer, then makes
	// the blob visible atomically. A mismatch fails with
	// errdefs.ErrInvalidArgument and discards the ingest. If the blob was
	// committed meanwhile by someone else, Commit fails with
	// errdefs.ErrAlreadyExists and discards this copy.
	Commit(ctx context.Context, size int64, dgst digest.Digest) error
	// Close releases the writer without committing, keeping the partial
	// data for a resume.
	Close() error
}

// Info describes a committed blob.
type Info struct {
	Digest    digest.Digest
	Size      int64
	CreatedAt time.Time
}

// WalkFunc is called by Walk for each blob; an error stops the walk and is
// returned by Walk.
type WalkFunc func(Info) error

// Manager inspects and removes committed blobs.
type Manager interface {
	// Info describes one blob, or fails with errdefs.ErrNotFound.
	Info(ctx context.Context, dgst digest.Digest) (Info, error)
	// Walk calls fn for each committed blob, in digest order.
	Walk(ctx context.Context, fn WalkFunc) error
	// Delete removes a blob, or fails with errdefs.ErrNotFound.
	Delete(ctx context.Context, dgst digest.Digest) error
}
