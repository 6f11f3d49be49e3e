package unpack_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/cais-project/cais/internal/image/snapshots"
	"github.com/cais-project/cais/internal/image/snapshots/overlay"
	"github.com/cais-project/cais/internal/image/snapshots/testsuite"
	"github.com/cais-project/cais/internal/image/unpack"
	"github.com/klauspost/compress/gzip"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sys/unix"
)

type entry struct {
	hdr  tar.Header
	body string
}

func reg(name, body string) entry {
	return entry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(body))}, body: body}
}

// openedMu guards the open counters: Unpack opens layers concurrently.
var openedMu sync.Mutex

// gzLayer builds a gzip-compressed layer and its source.
func gzLayer(t testing.TB, opened *int, entries ...entry) unpack.LayerSource {
	t.Helper()
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	for _, e := range entries {
		h := e.hdr
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, e.body)
	}
	tw.Close()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(raw.Bytes())
	zw.Close()
	blob := gz.Bytes()
	return unpack.LayerSource{
		Descriptor: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: digest.FromBytes(blob), Size: int64(len(blob))},
		DiffID:     digest.FromBytes(raw.Bytes()),
		Open: func() (io.ReadCloser, error) {
			if opened != nil {
				openedMu.Lock()
				*opened++
				openedMu.Unlock()
			}
			return io.NopCloser(bytes.NewReader(blob)), nil
		},
	}
}

func newSnapshotter(t *testing.T) *overlay.Snapshotter {
	t.Helper()
	sn, _ := newSnapshotterAt(t)
	return sn
}

// newSnapshotterAt is newSnapshotter that also returns the root.
func newSnapshotterAt(t *testing.T) (*overlay.Snapshotter, string) {
	t.Helper()
	root := t.TempDir()
	sn, err := overlay.New(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sn.Close() })
	return sn, root
}

// snapshotNames lists name:kind of every snapshot.
func snapshotNames(t *testing.T, sn snapshots.Snapshotter) []string {
	t.Helper()
	var out []string
	err := sn.Walk(context.Background(), func(_ context.Context, i snapshots.Info) error {
		out = append(out, i.Name+":"+i.Kind.String())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// mountView mounts a read-only view of chain and returns its directory.
func mountView(t *testing.T, sn snapshots.Snapshotter, chain string) string {
	t.Helper()
	ms, err := sn.View(context.Background(), "view-"+t.Name(), chain)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	testsuite.Mount(t, ms, dir)
	return dir
}

// describe lists every entry under root: type and mode, owner, content
// hash or link target, device, mtime (not for directories, whose times
// overlayfs and a flat unpack legitimately differ on), xattrs.
func describe(t testing.TB, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		s := fmt.Sprintf("mode=%o uid=%d gid=%d", st.Mode, st.Uid, st.Gid)
		switch st.Mode & syscall.S_IFMT {
		case syscall.S_IFREG:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			s += fmt.Sprintf(" sha=%x", sha256.Sum256(b))
		case syscall.S_IFLNK:
			l, _ := os.Readlink(p)
			s += " -> " + l
		case syscall.S_IFCHR, syscall.S_IFBLK:
			s += fmt.Sprintf(" dev=%d:%d", unix.Major(st.Rdev), unix.Minor(st.Rdev))
		}
		if st.Mode&syscall.S_IFMT != syscall.S_IFDIR {
			s += fmt.Sprintf(" mtime=%d", st.Mtim.Sec)
		}
		s += xattrs(p)
		out[rel] = s
		return nil
	})
	if err != nil {
		t.Fatalf("walking %s: %v", root, err)
	}
	return out
}

func xattrs(p string) string {
	buf := make([]byte, 4096)
	n, err := unix.Llistxattr(p, buf)
	if err != nil {
		if errors.Is(err, unix.ENOTSUP) {
			return ""
		}
		return " xattrs=error:" + err.Error()
	}
	var kv []string
	for _, name := range strings.Split(string(buf[:n]), "\x00") {
		if name == "" {
			continue
		}
		v := make([]byte, 4096)
		m, _ := unix.Lgetxattr(p, name, v)
		kv = append(kv, name+"="+string(v[:max(m, 0)]))
	}
	if len(kv) == 0 {
		return ""
	}
	sort.Strings(kv)
	return " xattrs=" + strings.Join(kv, ",")
}
