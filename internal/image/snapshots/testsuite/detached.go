package testsuite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/image/snapshots"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// testDetached: a layer staged without parent (written the way an upper
// layer holds its diff: whiteout devices, opaque markers) before its parent
// exists is stacked on the parent at Commit with WithParent; a parent that
// is missing or not committed is refused and leaves the staged snapshot
// as it was.
func testDetached(ctx context.Context, t *testing.T, sn snapshots.Snapshotter) {
	ms, err := sn.Prepare(ctx, "staged", "")
	if err != nil {
		t.Fatalf("Prepare detached: %v", err)
	}
	dir := t.TempDir()
	unmount := Mount(t, ms, dir)
	write(t, filepath.Join(dir, "changed"), "top")
	write(t, filepath.Join(dir, "opq/new"), "top")
	if err := unix.Setxattr(filepath.Join(dir, "opq"), "trusted.overlay.opaque", []byte("y"), 0); err != nil {
		t.Fatalf("marking opq opaque: %v", err)
	}
	if err := unix.Mknod(filepath.Join(dir, "gone"), unix.S_IFCHR, 0); err != nil {
		t.Fatalf("whiteout: %v", err)
	}
	unmount()

	checkErr(t, "Commit on a missing parent", sn.Commit(ctx, "top", "staged", snapshots.WithParent("base")), errdefs.ErrNotFound)
	if _, err := sn.Prepare(ctx, "base-active", ""); err != nil {
		t.Fatal(err)
	}
	checkErr(t, "Commit on an active parent", sn.Commit(ctx, "top", "staged", snapshots.WithParent("base-active")), errdefs.ErrConflict)
	checkErr(t, "Commit on itself", sn.Commit(ctx, "top", "staged", snapshots.WithParent("staged")), errdefs.ErrInvalidArgument)
	if info, err := sn.Stat(ctx, "staged"); err != nil || info.Kind != snapshots.KindActive || info.Parent != "" {
		t.Fatalf("Stat(staged) after refused commits = %+v, %v; want active without parent", info, err)
	}

	layer(ctx, t, sn, "base", "", func(d string) {
		write(t, filepath.Join(d, "keep"), "base")
		write(t, filepath.Join(d, "gone"), "base")
		write(t, filepath.Join(d, "changed"), "base")
		write(t, filepath.Join(d, "opq/old"), "base")
	})
	if err := sn.Commit(ctx, "top", "staged", snapshots.WithParent("base")); err != nil {
		t.Fatalf("Commit detached on base: %v", err)
	}
	if info, err := sn.Stat(ctx, "top"); err != nil || info.Kind != snapshots.KindCommitted || info.Parent != "base" {
		t.Fatalf("Stat(top) = %+v, %v; want committed on base", info, err)
	}
	want := map[string]string{"keep": "base", "changed": "top", "opq": "dir/", "opq/new": "top"}
	if diff := cmp.Diff(want, tree(t, view(ctx, t, sn, "v", "top"))); diff != "" {
		t.Errorf("view of top (-want +got):\n%s", diff)
	}
	checkErr(t, "Remove the new parent", sn.Remove(ctx, "base"), errdefs.ErrConflict)

	if _, err := sn.Prepare(ctx, "on-base", "base"); err != nil {
		t.Fatal(err)
	}
	checkErr(t, "Commit on another parent", sn.Commit(ctx, "x", "on-base", snapshots.WithParent("top")), errdefs.ErrConflict)
	_, err = sn.Prepare(ctx, "bad", "", snapshots.WithParent("base"))
	checkErr(t, "Prepare with WithParent", err, errdefs.ErrInvalidArgument)
	if _, err := sn.Stat(ctx, "bad"); !errdefs.IsNotFound(err) {
		t.Errorf("Stat(bad) after a refused Prepare: %v, want NotFound", err)
	}
}
