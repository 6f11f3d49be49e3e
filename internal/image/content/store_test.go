package content

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cais-project/cais/internal/errdefs"
)

func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func descOf(alg digest.Algorithm, b []byte) ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: "application/octet-stream", Digest: alg.FromBytes(b), Size: int64(len(b))}
}

// blobs lists the committed blobs as Walk sees them.
func blobs(t *testing.T, s *Store) []digest.Digest {
	t.Helper()
	var out []digest.Digest
	if err := s.Walk(context.Background(), func(i Info) error { out = append(out, i.Digest); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWriteReadRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, alg := range []digest.Algorithm{digest.SHA256, digest.SHA512} {
		t.Run(alg.String(), func(t *testing.T) {
			s := newStore(t)
			data := []byte("hello, " + alg.String())
			desc := descOf(alg, data)
			if err := WriteBlob(ctx, s, "ref", bytes.NewReader(data), desc); err != nil {
				t.Fatalf("WriteBlob: %v", err)
			}
			got, err := ReadBlob(ctx, s, desc, 1<<20)
			if err != nil {
				t.Fatalf("ReadBlob: %v", err)
			}
			if !bytes.Equal(got, data) {
				t.Errorf("ReadBlob = %q, want %q", got, data)
			}
			info, err := s.Info(ctx, desc.Digest)
			if err != nil || info.Size != desc.Size || info.Digest != desc.Digest {
				t.Errorf("Info = %+v, %v; want size %d", info, err, desc.Size)
			}
			if diff := cmp.Diff([]digest.Digest{desc.Digest}, blobs(t, s)); diff != "" {
				t.Errorf("Walk (-want +got):\n%s", diff)
			}
			fi, err := os.Stat(filepath.Join(s.Root(), "blobs", alg.String(), desc.Digest.Encoded()))
			if err != nil || fi.Mode().Perm() != 0o444 {
				t.Errorf("blob file: %v, %v; want mode 0444", fi, err)
			}
			if ing, _ := s.Ingests(ctx); len(ing) != 0 {
				t.Errorf("ingests after commit: %+v", ing)
			}
			// A second write of the same content is refused up front.
			if _, err := s.Writer(ctx, "again", desc); !errdefs.IsAlreadyExists(err) {
				t.Errorf("Writer for a present blob: %v, want AlreadyExists", err)
			}
			if err := s.Delete(ctx, desc.Digest); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			if _, err := s.Info(ctx, desc.Digest); !errdefs.IsNotFound(err) {
				t.Errorf("Info after Delete: %v, want NotFound", err)
			}
			if err := s.Delete(ctx, desc.Digest); !errdefs.IsNotFound(err) {
				t.Errorf("second Delete: %v, want NotFound", err)
			}
		})
	}
}

func TestCommitRejectsBadContent(t *testing.T) {
	ctx := context.Background()
	data := []byte("the real content")
	good := descOf(digest.SHA256, data)
	cases := []struct {
		name     string
		expected ocispec.Descriptor // given to Writer
		size     int64              // given to Commit
		dgst     digest.Digest      // given to Commit
		write    []byte
	}{
		{name: "wrong digest expected", expected: ocispec.Descriptor{Digest: digest.FromString("other"), Size: good.Size}, write: data},
		{name: "wrong digest at commit", size: good.Size, dgst: digest.FromString("other"), write: data},
		{name: "corrupted bytes", expected: good, write: []byte("the real cOntent")},
		{name: "short write", expected: good, write: data[:5]},
		{name: "wrong size at commit", size: good.Size + 1, dgst: good.Digest, write: data},
		{name: "sha512 expected, sha256 given", expected: good, dgst: digest.SHA512.FromBytes(data), write: data},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t)
			w, err := s.Writer(ctx, "ref", c.expected)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Write(c.write); err != nil {
				t.Fatal(err)
			}
			err = w.Commit(ctx, c.size, c.dgst)
			if !errdefs.IsInvalidArgument(err) {
				t.Errorf("Commit: %v, want InvalidArgument", err)
			}
			if got := blobs(t, s); len(got) != 0 {
				t.Errorf("blobs after a rejected commit: %v", got)
			}
			if ing, _ := s.Ingests(ctx); len(ing) != 0 {
				t.Errorf("ingest kept after a rejected commit: %+v", ing)
			}
		})
	}
}

func TestWriteBeyondExpectedSize(t *testing.T) {
	s := newStore(t)
	w, err := s.Writer(context.Background(), "ref", ocispec.Descriptor{Size: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Write([]byte("12345")); !errdefs.IsInvalidArgument(err) {
		t.Errorf("writing 5 bytes with expected size 4: %v, want InvalidArgument", err)
	}
}

func TestReadDetectsCorruptionOnDisk(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	data := []byte("pristine")
	desc := descOf(digest.SHA256, data)
	if err := WriteBlob(ctx, s, "ref", bytes.NewReader(data), desc); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(s.Root(), "blobs", "sha256", desc.Digest.Encoded())
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("pristinE"), 0o644); err != nil {
		t.Fatal(err)
	}

	// Without verification the (same-sized) bytes are served as they are.
	rc, err := Open(ctx, s, desc, false)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(rc); err != nil || string(got) != "pristinE" {
		t.Errorf("unverified read = %q, %v", got, err)
	}
	rc.Close()

	rc, err = Open(ctx, s, desc, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(rc); !errdefs.IsInvalidArgument(err) {
		t.Errorf("verified read of a corrupted blob: %v, want InvalidArgument", err)
	}
	rc.Close()
	if _, err := ReadBlob(ctx, s, desc, 1<<20); !errdefs.IsInvalidArgument(err) {
		t.Errorf("ReadBlob of a corrupted blob: %v, want InvalidArgument", err)
	}

	// A size that disagrees with the descriptor is caught without hashing.
	if err := os.WriteFile(p, []byte("pristine!"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReaderAt(ctx, desc); !errdefs.IsInvalidArgument(err) {
		t.Errorf("ReaderAt with a wrong size: %v, want InvalidArgument", err)
	}
	if _, err := ReadBlob(ctx, s, desc, 4); !errdefs.IsInvalidArgument(err) {
		t.Errorf("ReadBlob over its limit: %v, want InvalidArgument", err)
	}
}

func TestBadDigests(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	cases := []struct {
		name string
		dgst digest.Digest
		want error
	}{
		{"not a digest", "nope", errdefs.ErrInvalidArgument},
		{"path traversal", "sha256:../../etc/passwd", errdefs.ErrInvalidArgument},
		{"unsupported algorithm", "sha384:" + digest.Digest(bytes.Repeat([]byte("a"), 96)), errdefs.ErrNotImplemented},
		{"absent", digest.FromString("absent"), errdefs.ErrNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := s.Info(ctx, c.dgst); !errors.Is(err, c.want) {
				t.Errorf("Info(%q) = %v, want %v", c.dgst, err, c.want)
			}
			if _, err := s.ReaderAt(ctx, ocispec.Descriptor{Digest: c.dgst}); !errors.Is(err, c.want) {
				t.Errorf("ReaderAt(%q) = %v, want %v", c.dgst, err, c.want)
			}
		})
	}
}

func TestConcurrentWritersSameRef(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	data := []byte("contended")
	desc := descOf(digest.SHA256, data)
	first, err := s.Writer(ctx, "shared", desc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Writer(ctx, "shared", desc); !errors.Is(err, errdefs.ErrUnavailable) {
		t.Fatalf("second Writer on a held ref: %v, want Unavailable", err)
	}
	if err := s.Abort(ctx, "shared"); !errors.Is(err, errdefs.ErrUnavailable) {
		t.Errorf("Abort of a held ref: %v, want Unavailable", err)
	}
	// A different ref is independent.
	other, err := s.Writer(ctx, "other", ocispec.Descriptor{})
	if err != nil {
		t.Fatalf("Writer on another ref: %v", err)
	}
	other.Close()

	// WaitWriter waits until its context ends...
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := WaitWriter(cctx, s, "shared", desc); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitWriter with a cancelled context: %v, want Canceled", err)
	}
	// ...or until the holder is done, and then sees its result.
	result := make(chan error, 1)
	go func() {
		w, err := WaitWriter(ctx, s, "shared", desc)
		if err == nil {
			w.Close()
		}
		result <- err
	}()
	if _, err := first.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := first.Commit(ctx, desc.Size, desc.Digest); err != nil {
		t.Fatal(err)
	}
	if err := <-result; !errdefs.IsAlreadyExists(err) {
		t.Errorf("waiting writer after the commit: %v, want AlreadyExists", err)
	}
	// The ref is free again once the blob is committed.
	w, err := s.Writer(ctx, "shared", ocispec.Descriptor{})
	if err != nil {
		t.Fatalf("Writer after commit: %v", err)
	}
	w.Close()
}

func TestResumeAfterClose(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	data := []byte("first half|second half")
	desc := descOf(digest.SHA256, data)
	w, err := s.Writer(ctx, "ref", desc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data[:11]); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := blobs(t, s); len(got) != 0 {
		t.Fatalf("blob visible before commit: %v", got)
	}
	w, err = s.Writer(ctx, "ref", desc)
	if err != nil {
		t.Fatal(err)
	}
	if w.Offset() != 11 {
		t.Fatalf("resumed Offset = %d, want 11", w.Offset())
	}
	if _, err := w.Write(data[11:]); err != nil {
		t.Fatal(err)
	}
	if w.Digest() != desc.Digest {
		t.Errorf("resumed Digest = %s, want %s (the hash must cover the earlier bytes)", w.Digest(), desc.Digest)
	}
	if err := w.Commit(ctx, 0, ""); err != nil {
		t.Fatalf("Commit after resume: %v", err)
	}
	if got, err := ReadBlob(ctx, s, desc, 1<<20); err != nil || !bytes.Equal(got, data) {
		t.Errorf("ReadBlob = %q, %v", got, err)
	}
}

func TestRestartAndAbort(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	w, err := s.Writer(ctx, "ref", ocispec.Descriptor{})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("garbage"))
	if err := w.Truncate(0); err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("good"))
	if err := w.Commit(ctx, 4, digest.FromString("good")); err != nil {
		t.Fatalf("Commit after Truncate: %v", err)
	}

	w, err = s.Writer(ctx, "dropped", ocispec.Descriptor{})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("partial"))
	w.Close()
	if err := s.Abort(ctx, "dropped"); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	if ing, _ := s.Ingests(ctx); len(ing) != 0 {
		t.Errorf("ingests after Abort: %+v", ing)
	}
	if err := s.Abort(ctx, "dropped"); !errdefs.IsNotFound(err) {
		t.Errorf("second Abort: %v, want NotFound", err)
	}
}

// crashEnv makes the test binary act as a writer that dies mid-write.
const crashEnv = "CAIS_CONTENT_CRASH_ROOT"

func TestMain(m *testing.M) {
	if root := os.Getenv(crashEnv); root != "" {
		crashMidWrite(root)
	}
	os.Exit(m.Run())
}

// crashMidWrite writes half a blob and is killed by SIGKILL before it can
// commit or close anything.
func crashMidWrite(root string) {
	s, err := NewStore(root)
	if err != nil {
		os.Exit(2)
	}
	data := crashData()
	w, err := s.Writer(context.Background(), "crash", descOf(digest.SHA256, data))
	if err != nil {
		os.Exit(3)
	}
	if _, err := w.Write(data[:len(data)/2]); err != nil {
		os.Exit(4)
	}
	syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {}
}

func crashData() []byte { return bytes.Repeat([]byte("0123456789"), 1000) }

func TestCrashMidWriteLeavesNoBlob(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnv+"="+s.Root())
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("crashing writer: %v, want death by SIGKILL", err)
	}
	data := crashData()
	desc := descOf(digest.SHA256, data)
	if got := blobs(t, s); len(got) != 0 {
		t.Errorf("blobs after a crash mid-write: %v", got)
	}
	if _, err := s.Info(ctx, desc.Digest); !errdefs.IsNotFound(err) {
		t.Errorf("Info after a crash: %v, want NotFound", err)
	}
	ing, err := s.Ingests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Status{{Ref: "crash", Offset: int64(len(data) / 2)}}, ing,
		cmp.Comparer(func(a, b Status) bool { return a.Ref == b.Ref && a.Offset == b.Offset })); diff != "" {
		t.Errorf("Ingests after a crash (-want +got):\n%s", diff)
	}
	// The dead writer's lock went with it: the write resumes here.
	w, err := s.Writer(ctx, "crash", desc)
	if err != nil {
		t.Fatalf("Writer after the crash: %v", err)
	}
	if w.Offset() != int64(len(data)/2) {
		t.Fatalf("Offset = %d, want %d", w.Offset(), len(data)/2)
	}
	if _, err := w.Write(data[w.Offset():]); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(ctx, desc.Size, desc.Digest); err != nil {
		t.Fatalf("Commit after resuming a crashed write: %v", err)
	}
}
