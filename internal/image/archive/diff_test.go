package archive_test

import (
	"archive/tar"
	"bytes"
	"context"
	"path/filepath"
	"sort"
	"testing"

	"github.com/cais-project/cais/internal/image/archive"
	"github.com/cais-project/cais/internal/testgate"
	"github.com/google/go-cmp/cmp"
)

var sortStrings = cmp.Transformer("sort", func(in []string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	return out
})

// TestDiffRoundTrip applies a layer to an upper dir, diffs it back to a tar
// and applies that to a fresh dir: both trees must be identical, and the tar
// must carry OCI whiteouts, not devices.
func TestDiffRoundTrip(t *testing.T) {
	testgate.Root(t)
	lower := t.TempDir()
	mustWrite(t, filepath.Join(lower, "etc/passwd"), "p")
	mustWrite(t, filepath.Join(lower, "opq/old"), "o")
	withX := reg("x", "x", 0o4755)
	withX.hdr.PAXRecords = map[string]string{"SCHILY.xattr.user.k": "v"}
	withX.hdr.ModTime = t1
	data := layer(t,
		dir("etc/", 0o755),
		reg("etc/.wh.passwd", "", 0),
		reg(".wh.notinlower", "", 0),
		dir("opq/", 0o755),
		reg("opq/.wh..wh..opq", "", 0),
		reg("opq/new", "n", 0o600),
		withX,
		hardlink("xlink", "x"),
		symlink("s", "/etc/passwd"),
		entry{hdr: tar.Header{Typeflag: tar.TypeFifo, Name: "fifo", Mode: 0o644}},
	)
	upper := t.TempDir()
	if err := apply(t, upper, data); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	var out bytes.Buffer
	if err := archive.Diff(context.Background(), []string{lower}, upper, &out); err != nil {
		t.Fatalf("Diff: %v", err)
	}
	var names []string
	tr := tar.NewReader(bytes.NewReader(out.Bytes()))
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		names = append(names, h.Name)
		if h.Name == "xlink" && h.Typeflag != tar.TypeLink {
			t.Errorf("xlink: type %q, want a hard link", h.Typeflag)
		}
	}
	wantNames := []string{"etc/", "etc/.wh.passwd", "fifo", "opq/", "opq/.wh..wh..opq", "opq/new", "s", "x", "xlink"}
	if diff := cmp.Diff(wantNames, names); diff != "" {
		t.Errorf("diff entries (-want +got):\n%s", diff)
	}
	again := t.TempDir()
	if err := apply(t, again, out.Bytes()); err != nil {
		t.Fatalf("Apply of the diff: %v", err)
	}
	// The whiteout that hid nothing is gone; everything else is equal.
	want := describe(t, upper, true)
	delete(want, "notinlower")
	if diff := cmp.Diff(want, describe(t, again, true)); diff != "" {
		t.Errorf("tree after round trip (-first +second):\n%s", diff)
	}
}
