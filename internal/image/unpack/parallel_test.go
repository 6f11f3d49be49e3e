package unpack_test

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/image/unpack"
	"github.com/cais-project/cais/internal/testgate"
	"github.com/google/go-cmp/cmp"
)

// storeState is what a failed unpack must leave as it found: the
// snapshot records and the directories under the snapshotter's root.
func storeState(t *testing.T, root string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(root, "snapshots"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, "dir:"+e.Name())
	}
	sort.Strings(out)
	return out
}

// manyFiles is a layer of n small files under dir.
func manyFiles(t *testing.T, dir string, n int) unpack.LayerSource {
	var es []entry
	for i := range n {
		es = append(es, reg(fmt.Sprintf("%s/f%04d", dir, i), strings.Repeat("x", i%300)))
	}
	return gzLayer(t, nil, es...)
}

// TestUnpackParallelFailureKeepsNothing: layers extracted side by side,
// one of which escapes its root through a symlink while the others
// (above and below it) succeed: Unpack fails naming that layer, the file
// outside is not written, the store keeps exactly what it had (the base
// committed by an earlier image) and no staging directory is left.
func TestUnpackParallelFailureKeepsNothing(t *testing.T) {
	testgate.Root(t)
	testgate.Overlay(t)
	ctx := context.Background()
	sn, root := newSnapshotterAt(t)
	base := gzLayer(t, nil, reg("etc/os-release", "base"))
	if _, err := unpack.Unpack(ctx, sn, []unpack.LayerSource{base}); err != nil {
		t.Fatalf("Unpack base: %v", err)
	}
	beforeSnaps, beforeDirs := snapshotNames(t, sn), storeState(t, root)

	outside := t.TempDir()
	target := filepath.Join(outside, "escaped")
	evil := gzLayer(t, nil,
		reg("ok", "fine"),
		entry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "evil", Linkname: "/"}},
		reg("evil"+target, "x"))
	layers := []unpack.LayerSource{base, manyFiles(t, "a", 400), evil, manyFiles(t, "b", 400), manyFiles(t, "c", 50)}
	for _, jobs := range []int{1, 4} {
		t.Run(fmt.Sprintf("jobs=%d", jobs), func(t *testing.T) {
			_, err := unpack.Unpack(ctx, sn, layers, unpack.WithParallel(jobs))
			if err == nil || !strings.Contains(err.Error(), "layer 2") || !strings.Contains(err.Error(), "through a symlink") {
				t.Fatalf("Unpack error = %v, want one naming layer 2 and the symlink", err)
			}
			if !errdefs.IsInvalidArgument(err) {
				t.Errorf("Unpack error %v is not InvalidArgument", err)
			}
			if _, err := os.Lstat(target); err == nil {
				t.Errorf("%s exists: the layer wrote outside its directory", target)
			}
			if diff := cmp.Diff(beforeSnaps, snapshotNames(t, sn)); diff != "" {
				t.Errorf("snapshots after the failed unpack (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(beforeDirs, storeState(t, root)); diff != "" {
				t.Errorf("snapshot dirs after the failed unpack (-before +after):\n%s", diff)
			}
		})
	}
	// The same layers without the bad one unpack fine on the same store.
	good := []unpack.LayerSource{base, layers[1], layers[3], layers[4]}
	chain, err := unpack.Unpack(ctx, sn, good)
	if err != nil {
		t.Fatalf("Unpack without the bad layer: %v", err)
	}
	got := describe(t, mountView(t, sn, chain))
	for _, p := range []string{"etc/os-release", "a/f0399", "b/f0000", "c/f0049"} {
		if _, ok := got[p]; !ok {
			t.Errorf("%s missing from the unpacked image", p)
		}
	}
}

// cancelReader cancels its context on the first read past after bytes and
// keeps serving data, as a pull interrupted mid-way would see.
type cancelReader struct {
	r      io.Reader
	n      int
	after  int
	cancel context.CancelFunc
}

func (c *cancelReader) Read(p []byte) (int, error) {
	if c.n >= c.after {
		c.cancel()
	}
	n, err := c.r.Read(p[:min(len(p), 512)])
	c.n += n
	return n, err
}

func (c *cancelReader) Close() error { return nil }

// TestUnpackCancelledKeepsNothing: cancelling the context while layers
// are being extracted stops Unpack with the context's error and removes
// every snapshot it made, of the finished layers too.
func TestUnpackCancelledKeepsNothing(t *testing.T) {
	testgate.Root(t)
	testgate.Overlay(t)
	sn, root := newSnapshotterAt(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	slow := manyFiles(t, "slow", 2000)
	open := slow.Open
	slow.Open = func() (io.ReadCloser, error) {
		rc, err := open()
		if err != nil {
			return nil, err
		}
		return &cancelReader{r: rc, after: 4096, cancel: cancel}, nil
	}
	layers := []unpack.LayerSource{manyFiles(t, "base", 10), manyFiles(t, "mid", 10), slow, manyFiles(t, "top", 10)}
	_, err := unpack.Unpack(ctx, sn, layers, unpack.WithParallel(4))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Unpack error = %v, want context.Canceled", err)
	}
	if got := snapshotNames(t, sn); len(got) != 0 {
		t.Errorf("snapshots after a cancelled unpack: %v, want none", got)
	}
	if got := storeState(t, root); len(got) != 0 {
		t.Errorf("snapshot dirs after a cancelled unpack: %v, want none", got)
	}
}
