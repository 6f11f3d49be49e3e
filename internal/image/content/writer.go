package content

import (
	"context"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cais-project/cais/internal/errdefs"
)

// Writer implements Ingester.
func (s *Store) Writer(ctx context.Context, ref string, expected ocispec.Descriptor) (Writer, error) {
	if ref == "" {
		return nil, fmt.Errorf("ingest ref is empty: %w", errdefs.ErrInvalidArgument)
	}
	alg := digest.Canonical
	if expected.Digest != "" {
		target, err := s.blobPath(expected.Digest)
		if err != nil {
			return nil, err
		}
		if _, err := os.Stat(target); err == nil {
			return nil, fmt.Errorf("blob %s: %w", expected.Digest, errdefs.ErrAlreadyExists)
		}
		alg = expected.Digest.Algorithm()
	}
	if expected.Size < 0 {
		return nil, fmt.Errorf("expected size %d: %w", expected.Size, errdefs.ErrInvalidArgument)
	}
	dir := s.ingestDir(ref)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating ingest %q: %w", ref, err)
	}
	lock, err := lockFile(filepath.Join(dir, "lock"))
	if err != nil {
		return nil, fmt.Errorf("ingest %q: %w", ref, err)
	}
	w, err := s.openIngest(dir, ref, expected, alg)
	if err != nil {
		lock.Close()
		return nil, err
	}
	w.lock = lock
	return w, nil
}

// openIngest opens the data of a locked ingest directory and re-hashes what
// an earlier, interrupted writer left, so the write resumes at its end.
func (s *Store) openIngest(dir, ref string, expected ocispec.Descriptor, alg digest.Algorithm) (*writer, error) {
	if err := writeRef(filepath.Join(dir, "ref"), ref); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, "data"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening ingest %q: %w", ref, err)
	}
	w := &writer{s: s, dir: dir, ref: ref, expected: expected, alg: alg, f: f, h: alg.Hash()}
	n, err := io.Copy(w.h, f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("re-reading ingest %q: %w", ref, err)
	}
	w.offset = n
	if expected.Size > 0 && n > expected.Size {
		if err := w.Truncate(0); err != nil {
			f.Close()
			return nil, err
		}
	}
	return w, nil
}

func writeRef(path, ref string) error {
	if b, err := os.ReadFile(path); err == nil && string(b) == ref {
		return nil
	}
	if err := os.WriteFile(path, []byte(ref), 0o600); err != nil {
		return fmt.Errorf("recording ingest ref: %w", err)
	}
	return nil
}

type writer struct {
	s        *Store
	dir, ref string
	expected ocispec.Descriptor
	alg      digest.Algorithm
	f        *os.File
	lock     *os.File
	h        hash.Hash
	offset   int64
}

func (w *writer) Write(p []byte) (int, error) {
	if w.f == nil {
		return 0, fmt.Errorf("ingest %q: write after close: %w", w.ref, fs.ErrClosed)
	}
	if w.expected.Size > 0 && w.offset+int64(len(p)) > w.expected.Size {
		return 0, fmt.Errorf("ingest %q: more than the expected %d bytes: %w",
			w.ref, w.expected.Size, errdefs.ErrInvalidArgument)
	}
	n, err := w.f.Write(p)
	w.h.Write(p[:n])
	w.offset += int64(n)
	if err != nil {
		return n, fmt.Errorf("writing ingest %q: %w", w.ref, err)
	}
	return n, nil
}

func (w *writer) Offset() int64 { return w.offset }

func (w *writer) Digest() digest.Digest { return digest.NewDigest(w.alg, w.h) }

func (w *writer) Truncate(size int64) error {
	if size != 0 {
		return fmt.Errorf("truncate to %d: only 0 is supported: %w", size, errdefs.ErrInvalidArgument)
	}
	if err := w.f.Truncate(0); err != nil {
		return fmt.Errorf("truncating ingest %q: %w", w.ref, err)
	}
	if _, err := w.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("truncating ingest %q: %w", w.ref, err)
	}
	w.h.Reset()
	w.offset = 0
	return nil
}

func (w *writer) Commit(ctx context.Context, size int64, dgst digest.Digest) error {
	if w.f == nil {
		return fmt.Errorf("ingest %q: commit after close: %w", w.ref, fs.ErrClosed)
	}
	got := w.Digest()
	if err := w.check(size, dgst, got); err != nil {
		w.discard()
		return err
	}
	if err := w.f.Sync(); err != nil {
		w.Close()
		return fmt.Errorf("syncing ingest %q: %w", w.ref, err)
	}
	target, err := w.s.blobPath(got)
	if err != nil {
		w.discard()
		return err
	}
	if _, err := os.Stat(target); err == nil {
		w.discard()
		return fmt.Errorf("blob %s: %w", got, errdefs.ErrAlreadyExists)
	}
	if err := w.f.Chmod(0o444); err != nil {
		w.Close()
		return fmt.Errorf("committing %s: %w", got, err)
	}
	now := time.Now()
	_ = os.Chtimes(w.f.Name(), now, now) // CreatedAt is the commit time
	if err := os.Rename(w.f.Name(), target); err != nil {
		w.Close()
		return fmt.Errorf("committing %s: %w", got, err)
	}
	if err := syncDir(filepath.Dir(target)); err != nil {
		w.discard()
		return fmt.Errorf("committing %s: %w", got, err)
	}
	w.discard()
	return nil
}

// check compares what was written with what the caller expects.
func (w *writer) check(size int64, dgst, got digest.Digest) error {
	for _, want := range []int64{size, w.expected.Size} {
		if want > 0 && w.offset != want {
			return fmt.Errorf("ingest %q: got %d bytes, want %d: %w", w.ref, w.offset, want, errdefs.ErrInvalidArgument)
		}
	}
	for _, want := range []digest.Digest{dgst, w.expected.Digest} {
		if want != "" && want != got {
			return fmt.Errorf("ingest %q: content has digest %s, want %s: %w", w.ref, got, want, errdefs.ErrInvalidArgument)
		}
	}
	return nil
}

// discard removes the ingest directory (while still holding its lock) and
// releases the writer.
func (w *writer) discard() {
	_ = os.RemoveAll(w.dir)
	w.Close()
}

func (w *writer) Close() error {
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	w.lock.Close() // releases the flock
	if err != nil && !errors.Is(err, fs.ErrClosed) {
		return fmt.Errorf("closing ingest %q: %w", w.ref, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// WaitWriter is Ingester.Writer, waiting while another writer holds ref
// instead of failing, until ctx is done.
func WaitWriter(ctx context.Context, ing Ingester, ref string, expected ocispec.Descriptor) (Writer, error) {
	delay := 10 * time.Millisecond
	for {
		w, err := ing.Writer(ctx, ref, expected)
		if !errors.Is(err, errdefs.ErrUnavailable) {
			return w, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for ingest %q: %w", ref, ctx.Err())
		case <-time.After(delay):
		}
		delay = min(2*delay, time.Second)
	}
}
