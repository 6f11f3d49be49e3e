package archive_test

import (
	"testing"

	"github.com/cais-project/cais/internal/image/archive"
	"github.com/cais-project/cais/internal/testgate"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// TestApplyOwnersAndModesWithoutChown: files Apply creates without chown
// or chmod still end up with the tar's owner and mode, whatever the umask
// and in a setgid directory (whose group new files would inherit).
func TestApplyOwnersAndModesWithoutChown(t *testing.T) {
	testgate.Root(t)
	own := func(e entry, uid, gid int) entry { e.hdr.Uid, e.hdr.Gid = uid, gid; return e }
	data := layer(t,
		own(dir("sg", 0o2775), 0, 1234),
		reg("sg/root", "r", 0o644),
		own(reg("sg/user", "u", 0o600), 1000, 1000),
		reg("plain/open", "o", 0o777), // the umask would take 0o022
		reg("plain/locked", "l", 0),
		reg("plain/ro", "r", 0o444),
		reg("plain/sticky", "s", 0o1644),
	)
	old := unix.Umask(0o027)
	defer unix.Umask(old)
	root := t.TempDir()
	if err := apply(t, root, data); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	got := describe(t, root, false)
	want := map[string]string{
		"sg":           "mode=42775 uid=0 gid=1234",
		"sg/root":      "mode=100644 uid=0 gid=0 nlink=1 sha=" + sha("r"),
		"sg/user":      "mode=100600 uid=1000 gid=1000 nlink=1 sha=" + sha("u"),
		"plain":        "mode=40755 uid=0 gid=0",
		"plain/open":   "mode=100777 uid=0 gid=0 nlink=1 sha=" + sha("o"),
		"plain/locked": "mode=100000 uid=0 gid=0 nlink=1 sha=" + sha("l"),
		"plain/ro":     "mode=100444 uid=0 gid=0 nlink=1 sha=" + sha("r"),
		"plain/sticky": "mode=101644 uid=0 gid=0 nlink=1 sha=" + sha("s"),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tree (-want +got):\n%s", diff)
	}
}

// TestApplyReplacesWithinLayer: a later entry replaces an earlier one of
// the same name (file over file, file over a directory with contents), and
// entries into a directory that a whiteout of the same layer removed land
// in a new directory, not in the removed one.
func TestApplyReplacesWithinLayer(t *testing.T) {
	testgate.Root(t)
	data := layer(t,
		reg("f", "first", 0o644),
		reg("f", "second", 0o600),
		reg("d/inner/x", "x", 0o644),
		reg("d", "file now", 0o644),
		reg("w/a", "a", 0o644),
		reg(".wh.w", "", 0),
		reg("w/b", "b", 0o644),
	)
	root := t.TempDir()
	if err := apply(t, root, data, archive.Flatten()); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	got := describe(t, root, false)
	want := map[string]string{
		"f":   "mode=100600 uid=0 gid=0 nlink=1 sha=" + sha("second"),
		"d":   "mode=100644 uid=0 gid=0 nlink=1 sha=" + sha("file now"),
		"w":   "mode=40755 uid=0 gid=0",
		"w/b": "mode=100644 uid=0 gid=0 nlink=1 sha=" + sha("b"),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tree (-want +got):\n%s", diff)
	}
}
