package transfer_test

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cais-project/cais/internal/image/content"
	"github.com/cais-project/cais/internal/image/metadata"
	"github.com/cais-project/cais/internal/image/transfer"
)

type testStore struct {
	transfer.Store
	cs   *content.Store
	ms   *metadata.Store
	root string
}

func newStore(t *testing.T) testStore {
	t.Helper()
	root := t.TempDir()
	cs, err := content.NewStore(root)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := metadata.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ms.Close() })
	return testStore{Store: transfer.Store{Content: cs, Images: ms}, cs: cs, ms: ms, root: root}
}

// state is what a refused load must leave unchanged: committed blobs,
// image records, and ingests in progress.
type state struct {
	Blobs   []digest.Digest
	Images  []string
	Ingests []string
}

func (s testStore) state(t *testing.T) state {
	t.Helper()
	ctx := context.Background()
	var st state
	if err := s.cs.Walk(ctx, func(i content.Info) error {
		st.Blobs = append(st.Blobs, i.Digest)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	imgs, err := s.ms.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range imgs {
		st.Images = append(st.Images, i.Name+"="+i.Target.Digest.String())
	}
	ing, err := s.cs.Ingests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range ing {
		st.Ingests = append(st.Ingests, i.Ref)
	}
	sort.Strings(st.Ingests)
	return st
}

type entry struct {
	hdr  tar.Header
	body string
}

func file(name, body string) entry {
	return entry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(body))}, body: body}
}

func dir(name string) entry {
	return entry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755}}
}

func tarOf(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		h := e.hdr
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// entries reads an archive back into entries, in order.
func entries(t testing.TB, b []byte) []entry {
	t.Helper()
	var out []entry
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, entry{hdr: *h, body: string(body)})
	}
}

// rootfsTar is a small root filesystem tarball.
func rootfsTar(t testing.TB) []byte {
	t.Helper()
	return tarOf(t,
		dir("bin/"),
		file("bin/hello", "#!/bin/sh\necho hello\n"),
		dir("etc/"),
		file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"),
		entry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "bin/sh", Linkname: "busybox"}},
	)
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

func digestOf(b []byte) digest.Digest { return digest.FromBytes(b) }

// writeBlobFile writes b as a blob of the OCI layout at dir.
func writeBlobFile(t testing.TB, dir string, d ocispec.Descriptor, b []byte) {
	t.Helper()
	p := filepath.Join(dir, "blobs", d.Digest.Algorithm().String(), d.Digest.Encoded())
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func runWithStdin(r io.Reader, name string, args ...string) ([]byte, error) {
	c := exec.Command(name, args...)
	c.Stdin = r
	return c.CombinedOutput()
}
