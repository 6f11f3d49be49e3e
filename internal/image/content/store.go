package content

import (
	"context"
	"crypto/sha256"
	_ "crypto/sha512" // registers sha512 for digest.SHA512
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cais-project/cais/internal/errdefs"
)

// algorithms are the digest algorithms the store accepts.
var algorithms = []digest.Algorithm{digest.SHA256, digest.SHA512}

// Store is the filesystem content store. It implements Provider, Ingester
// and Manager and is safe for concurrent use, also by several processes
// sharing one root.
type Store struct {
	root string
}

var (
	_ Provider = (*Store)(nil)
	_ Ingester = (*Store)(nil)
	_ Manager  = (*Store)(nil)
)

// NewStore opens (creating if needed) the store under root.
func NewStore(root string) (*Store, error) {
	dirs := []string{filepath.Join(root, "ingest")}
	for _, a := range algorithms {
		dirs = append(dirs, filepath.Join(root, "blobs", a.String()))
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("creating content store: %w", err)
		}
	}
	return &Store{root: root}, nil
}

// Root is the directory the store lives in.
func (s *Store) Root() string { return s.root }

// blobPath is where dgst lives once committed.
func (s *Store) blobPath(dgst digest.Digest) (string, error) {
	if err := dgst.Validate(); err != nil {
		return "", fmt.Errorf("digest %q: %v: %w", dgst, err, errdefs.ErrInvalidArgument)
	}
	if !supported(dgst.Algorithm()) {
		return "", fmt.Errorf("digest algorithm %q: %w", dgst.Algorithm(), errdefs.ErrNotImplemented)
	}
	return filepath.Join(s.root, "blobs", dgst.Algorithm().String(), dgst.Encoded()), nil
}

func supported(a digest.Algorithm) bool {
	for _, b := range algorithms {
		if a == b {
			return true
		}
	}
	return false
}

// ingestDir is the directory of the partial write named ref. Refs are
// arbitrary strings, so the directory is named by their hash.
func (s *Store) ingestDir(ref string) string {
	sum := sha256.Sum256([]byte(ref))
	return filepath.Join(s.root, "ingest", hex.EncodeToString(sum[:]))
}

// Info implements Manager.
func (s *Store) Info(ctx context.Context, dgst digest.Digest) (Info, error) {
	p, err := s.blobPath(dgst)
	if err != nil {
		return Info{}, err
	}
	fi, err := os.Stat(p)
	if err != nil {
		return Info{}, statError(dgst, err)
	}
	return Info{Digest: dgst, Size: fi.Size(), CreatedAt: fi.ModTime()}, nil
}

func statError(dgst digest.Digest, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob %s: %w", dgst, errdefs.ErrNotFound)
	}
	return fmt.Errorf("blob %s: %w", dgst, err)
}

// Walk implements Manager. Files in blobs/ that are not valid digests are
// skipped.
func (s *Store) Walk(ctx context.Context, fn WalkFunc) error {
	for _, a := range algorithms {
		dir := filepath.Join(s.root, "blobs", a.String())
		entries, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("walking blobs: %w", err)
		}
		sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
		for _, e := range entries {
			if err := ctx.Err(); err != nil {
				return err
			}
			dgst := digest.NewDigestFromEncoded(a, e.Name())
			if dgst.Validate() != nil || !e.Type().IsRegular() {
				continue
			}
			fi, err := e.Info()
			if errors.Is(err, fs.ErrNotExist) {
				continue // deleted while walking
			}
			if err != nil {
				return fmt.Errorf("walking blobs: %w", err)
			}
			if err := fn(Info{Digest: dgst, Size: fi.Size(), CreatedAt: fi.ModTime()}); err != nil {
				return err
			}
		}
	}
	return nil
}

// Delete implements Manager.
func (s *Store) Delete(ctx context.Context, dgst digest.Digest) error {
	p, err := s.blobPath(dgst)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil {
		return statError(dgst, err)
	}
	return nil
}

// ReaderAt implements Provider.
func (s *Store) ReaderAt(ctx context.Context, desc ocispec.Descriptor) (ReaderAt, error) {
	p, err := s.blobPath(desc.Digest)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, statError(desc.Digest, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("blob %s: %w", desc.Digest, err)
	}
	if desc.Size != 0 && fi.Size() != desc.Size {
		f.Close()
		return nil, fmt.Errorf("blob %s has %d bytes, descriptor says %d: %w",
			desc.Digest, fi.Size(), desc.Size, errdefs.ErrInvalidArgument)
	}
	return &fileReaderAt{File: f, size: fi.Size()}, nil
}

type fileReaderAt struct {
	*os.File
	size int64
}

func (r *fileReaderAt) Size() int64 { return r.size }

// Abort drops the partial write named ref. It fails with
// errdefs.ErrUnavailable while a writer holds ref, and with
// errdefs.ErrNotFound if there is no such write.
func (s *Store) Abort(ctx context.Context, ref string) error {
	dir := s.ingestDir(ref)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("ingest %q: %w", ref, errdefs.ErrNotFound)
	}
	lock, err := lockFile(filepath.Join(dir, "lock"))
	if err != nil {
		return fmt.Errorf("ingest %q: %w", ref, err)
	}
	defer lock.Close()
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("removing ingest %q: %w", ref, err)
	}
	return nil
}

// Status describes a partial write.
type Status struct {
	Ref       string
	Offset    int64
	UpdatedAt time.Time
}

// Ingests lists the partial writes left in the store (active or
// interrupted), for inspection and cleanup.
func (s *Store) Ingests(ctx context.Context) ([]Status, error) {
	entries, err := os.ReadDir(filepath.Join(s.root, "ingest"))
	if err != nil {
		return nil, fmt.Errorf("listing ingests: %w", err)
	}
	var out []Status
	for _, e := range entries {
		dir := filepath.Join(s.root, "ingest", e.Name())
		ref, err := os.ReadFile(filepath.Join(dir, "ref"))
		if err != nil {
			continue // being created or removed
		}
		st := Status{Ref: string(ref)}
		if fi, err := os.Stat(filepath.Join(dir, "data")); err == nil {
			st.Offset, st.UpdatedAt = fi.Size(), fi.ModTime()
		}
		out = append(out, st)
	}
	return out, nil
}
