package archive_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cais-project/cais/internal/image/archive"
	"github.com/cais-project/cais/internal/testgate"
	"github.com/google/go-cmp/cmp"
)

// TestApplyOverlayWhiteouts checks the overlay upper form: a whiteout is a
// 0:0 character device, an opaque directory carries trusted.overlay.opaque.
func TestApplyOverlayWhiteouts(t *testing.T) {
	testgate.Root(t)
	upper := t.TempDir()
	data := layer(t,
		dir("etc/", 0o755),
		reg("etc/.wh.passwd", "", 0),
		reg(".wh.gone", "", 0),
		dir("opq/", 0o750),
		reg("opq/.wh..wh..opq", "", 0),
		reg("opq/new", "n", 0o644),
		reg("implicit/.wh..wh..opq", "", 0),
		reg(".wh..wh.plnk", "", 0), // aufs bookkeeping: ignored
	)
	if err := apply(t, upper, data); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	got := describe(t, upper, false)
	want := map[string]string{
		"etc":        "mode=40755 uid=0 gid=0",
		"etc/passwd": "mode=20000 uid=0 gid=0 dev=0:0",
		"gone":       "mode=20000 uid=0 gid=0 dev=0:0",
		"opq":        "mode=40750 uid=0 gid=0 xattrs=trusted.overlay.opaque=y",
		"opq/new":    "mode=100644 uid=0 gid=0 nlink=1 sha=" + sha("n"),
		"implicit":   "mode=40755 uid=0 gid=0 xattrs=trusted.overlay.opaque=y",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("upper after Apply (-want +got):\n%s", diff)
	}
}

// TestApplyFlatten applies layers one over another in a plain directory:
// whiteouts delete, opaque directories lose what lower layers put in them
// but keep what this layer adds, wherever the marker sits in the tar.
func TestApplyFlatten(t *testing.T) {
	testgate.Root(t)
	root := t.TempDir()
	base := layer(t,
		dir("etc/", 0o755), reg("etc/passwd", "p", 0o644), reg("etc/group", "g", 0o644),
		dir("var/", 0o755), dir("var/lib/", 0o755), reg("var/lib/old", "o", 0o644), dir("var/lib/sub/", 0o755), reg("var/lib/sub/old", "o", 0o644),
		dir("usr/", 0o755), reg("usr/old", "o", 0o644), dir("keep/", 0o755), reg("keep/f", "k", 0o644),
	)
	top := layer(t,
		reg("etc/.wh.passwd", "", 0),
		reg(".wh.keep-not-there", "", 0),
		reg("nothere/.wh.x", "", 0),
		dir("var/lib/", 0o700),
		reg("var/lib/new", "n", 0o644),
		dir("var/lib/sub/", 0o755),
		reg("var/lib/sub/new", "n", 0o644),
		reg("var/lib/.wh..wh..opq", "", 0), // after the new entries: they stay
		reg("usr/.wh..wh..opq", "", 0),     // before: the later entry stays
		reg("usr/new", "n", 0o644),
	)
	for _, l := range [][]byte{base, top} {
		if err := apply(t, root, l, archive.Flatten()); err != nil {
			t.Fatalf("Apply: %v", err)
		}
	}
	var got []string
	for p := range describe(t, root, false) {
		got = append(got, p)
	}
	want := []string{"etc", "etc/group", "var", "var/lib", "var/lib/new", "var/lib/sub", "var/lib/sub/new", "usr", "usr/new", "keep", "keep/f"}
	if diff := cmp.Diff(want, got, sortStrings); diff != "" {
		t.Errorf("flattened tree (-want +got):\n%s", diff)
	}
	if got := describeOne(t, filepath.Join(root, "var/lib"), false); got != "mode=40700 uid=0 gid=0" {
		t.Errorf("var/lib = %s, want the top layer's mode 0700", got)
	}
}

// TestApplyImplicitDirFromLower: a directory created only to hold a
// whiteout copies the lower layer's owner and mode, so the merged view does
// not change them; without a lower it is 0755 root.
func TestApplyImplicitDirFromLower(t *testing.T) {
	testgate.Root(t)
	lower := t.TempDir()
	mustWrite(t, filepath.Join(lower, "keep/x"), "x")
	if err := os.Chmod(filepath.Join(lower, "keep"), os.ModeSticky|0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(filepath.Join(lower, "keep"), 1000, 1001); err != nil {
		t.Fatal(err)
	}
	data := layer(t, reg("keep/.wh.x", "", 0), reg("other/.wh.y", "", 0))
	upper := t.TempDir()
	if err := apply(t, upper, data, archive.WithLowerDirs([]string{t.TempDir(), lower})); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	got := describe(t, upper, false)
	want := map[string]string{
		"keep":    "mode=41777 uid=1000 gid=1001",
		"keep/x":  "mode=20000 uid=0 gid=0 dev=0:0",
		"other":   "mode=40755 uid=0 gid=0",
		"other/y": "mode=20000 uid=0 gid=0 dev=0:0",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("upper (-want +got):\n%s", diff)
	}
}
