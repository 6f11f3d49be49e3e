package archive_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cais-project/cais/internal/image/archive"
	"github.com/cais-project/cais/internal/testgate"
	"github.com/google/go-cmp/cmp"
)

// TestCollectImplicitDirsThenInherit: a layer extracted before its lowers
// exist lists the directories it made on its own (not the ones it names
// itself), and InheritDirAttrs then gives them exactly what WithLowerDirs
// gives during extraction: owner, mode and times of the nearest lower.
func TestCollectImplicitDirsThenInherit(t *testing.T) {
	testgate.Root(t)
	lower := t.TempDir()
	mustWrite(t, filepath.Join(lower, "keep/x"), "x")
	mustWrite(t, filepath.Join(lower, "named/y"), "y")
	mustWrite(t, filepath.Join(lower, "replaced/z"), "z")
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	for _, d := range []string{"keep", "named", "replaced"} {
		p := filepath.Join(lower, d)
		if err := os.Chmod(p, os.ModeSticky|0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(p, 1000, 1001); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	data := layer(t,
		reg("keep/.wh.x", "", 0),
		reg("other/deep/f", "f", 0o644),
		reg("named/f", "f", 0o644),
		dir("named", 0o700),
		reg("replaced/f", "f", 0o644),
		reg(".wh.replaced", "", 0),
		reg("replaced", "now a file", 0o644),
	)
	eager := t.TempDir()
	if err := apply(t, eager, data, archive.WithLowerDirs([]string{lower})); err != nil {
		t.Fatalf("Apply with lowers: %v", err)
	}
	staged := t.TempDir()
	var implicit []string
	if err := apply(t, staged, data, archive.CollectImplicitDirs(&implicit)); err != nil {
		t.Fatalf("Apply collecting: %v", err)
	}
	if diff := cmp.Diff([]string{"keep", "other", "other/deep", "replaced"}, implicit); diff != "" {
		t.Errorf("implicit dirs (-want +got):\n%s", diff)
	}
	if got := describeOne(t, filepath.Join(staged, "keep"), false); got != "mode=40755 uid=0 gid=0" {
		t.Errorf("keep before InheritDirAttrs = %s, want 0755 root", got)
	}
	if err := archive.InheritDirAttrs(staged, implicit, []string{t.TempDir(), lower}); err != nil {
		t.Fatalf("InheritDirAttrs: %v", err)
	}
	if got := describeOne(t, filepath.Join(staged, "keep"), true); got != describeOne(t, filepath.Join(eager, "keep"), true) {
		t.Errorf("keep = %s, want %s as WithLowerDirs makes it", got, describeOne(t, filepath.Join(eager, "keep"), true))
	}
	// Times of directories created now differ between the two runs; the
	// rest must be identical.
	want, got := describe(t, eager, false), describe(t, staged, false)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("staged then inherited vs extracted on lowers (-want +got):\n%s", diff)
	}
	if want["keep"] != "mode=41777 uid=1000 gid=1001" || want["named"] != "mode=40700 uid=0 gid=0" {
		t.Errorf("extraction on lowers: keep = %s, named = %s", want["keep"], want["named"])
	}
}

// TestInheritDirAttrsStaysInside: a listed path through a symlink is
// refused, not followed out of the layer.
func TestInheritDirAttrsStaysInside(t *testing.T) {
	testgate.Root(t)
	outside := t.TempDir()
	if err := os.Mkdir(filepath.Join(outside, "d"), 0o700); err != nil {
		t.Fatal(err)
	}
	lower := t.TempDir()
	if err := os.MkdirAll(filepath.Join(lower, "l/d"), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(lower, "l/d"), 0o777); err != nil {
		t.Fatal(err)
	}
	staged := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(staged, "l")); err != nil {
		t.Fatal(err)
	}
	if err := archive.InheritDirAttrs(staged, []string{"l/d"}, []string{lower}); err == nil {
		t.Error("InheritDirAttrs through a symlink succeeded")
	}
	if got := describeOne(t, filepath.Join(outside, "d"), false); got != "mode=40700 uid=0 gid=0" {
		t.Errorf("outside dir = %s, changed through the symlink", got)
	}
}
