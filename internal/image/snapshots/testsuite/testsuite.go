package testsuite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/image/snapshots"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// New makes a snapshotter rooted at root, a fresh empty directory.
type New func(t *testing.T, root string) snapshots.Snapshotter

// Run runs the conformance tests against snapshotters made by newSn. Each
// test gets its own snapshotter; the suite closes it. It needs root.
func Run(t *testing.T, newSn New) {
	tests := []struct {
		name string
		fn   func(context.Context, *testing.T, snapshots.Snapshotter)
	}{
		{"LayersStack", testLayersStack},
		{"CommitActive", testCommit},
		{"RemoveRefusedWithChildren", testRemove},
		{"ViewIsReadOnly", testViewReadOnly},
		{"PrepareErrors", testPrepareErrors},
		{"StatWalkUsageLabels", testInfo},
		{"DeepChain", testDeepChain},
		{"DetachedCommit", testDetached},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sn := newSn(t, t.TempDir())
			t.Cleanup(func() {
				if err := sn.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tc.fn(context.Background(), t, sn)
		})
	}
}

// layer prepares key on parent, mounts it, lets write change the tree,
// unmounts and commits it as name.
func layer(ctx context.Context, t *testing.T, sn snapshots.Snapshotter, name, parent string, write func(dir string)) {
	t.Helper()
	key := "active-" + name
	ms, err := sn.Prepare(ctx, key, parent)
	if err != nil {
		t.Fatalf("Prepare(%s, %s): %v", key, parent, err)
	}
	dir := t.TempDir()
	unmount := Mount(t, ms, dir)
	write(dir)
	unmount()
	if err := sn.Commit(ctx, name, key); err != nil {
		t.Fatalf("Commit(%s, %s): %v", name, key, err)
	}
}

// view mounts a read-only view of parent and returns where.
func view(ctx context.Context, t *testing.T, sn snapshots.Snapshotter, key, parent string) string {
	t.Helper()
	ms, err := sn.View(ctx, key, parent)
	if err != nil {
		t.Fatalf("View(%s, %s): %v", key, parent, err)
	}
	dir := t.TempDir()
	Mount(t, ms, dir)
	return dir
}

func write(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// tree lists the files under dir with their contents ("dir/" for dirs).
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case rel == ".":
		case fi.IsDir():
			out[rel] = "dir/"
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[rel] = string(b)
		default:
			out[rel] = fi.Mode().Type().String()
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walking %s: %v", dir, err)
	}
	return out
}

// testLayersStack: files of parents show through, deletions hide them,
// a directory replaced in a child hides its old contents (opaque).
func testLayersStack(ctx context.Context, t *testing.T, sn snapshots.Snapshotter) {
	layer(ctx, t, sn, "base", "", func(d string) {
		write(t, filepath.Join(d, "keep"), "base")
		write(t, filepath.Join(d, "gone"), "base")
		write(t, filepath.Join(d, "changed"), "base")
		write(t, filepath.Join(d, "opq/old"), "base")
		write(t, filepath.Join(d, "merged/old"), "base")
	})
	layer(ctx, t, sn, "top", "base", func(d string) {
		if got := tree(t, d)["keep"]; got != "base" {
			t.Errorf("active snapshot on base: keep = %q, want base", got)
		}
		for _, p := range []string{"gone", "opq"} {
			if err := os.RemoveAll(filepath.Join(d, p)); err != nil {
				t.Fatal(err)
			}
		}
		write(t, filepath.Join(d, "opq/new"), "top")
		write(t, filepath.Join(d, "merged/new"), "top")
		write(t, filepath.Join(d, "changed"), "top")
	})
	layer(ctx, t, sn, "third", "top", func(d string) { write(t, filepath.Join(d, "third"), "3") })
	want := map[string]string{
		"keep": "base", "changed": "top", "third": "3",
		"opq": "dir/", "opq/new": "top",
		"merged": "dir/", "merged/old": "base", "merged/new": "top",
	}
	if diff := cmp.Diff(want, tree(t, view(ctx, t, sn, "v", "third"))); diff != "" {
		t.Errorf("view of third (-want +got):\n%s", diff)
	}
	if got := tree(t, view(ctx, t, sn, "vbase", "base")); got["gone"] != "base" || got["opq/old"] != "base" {
		t.Errorf("view of base = %v: the child's changes leaked into the parent", got)
	}
}

func testCommit(ctx context.Context, t *testing.T, sn snapshots.Snapshotter) {
	ms, err := sn.Prepare(ctx, "work", "")
	if err != nil {
		t.Fatal(err)
	}
	again, err := sn.Mounts(ctx, "work")
	if err != nil {
		t.Fatalf("Mounts: %v", err)
	}
	if diff := cmp.Diff(ms, again); diff != "" {
		t.Errorf("Mounts differs from Prepare (-prepare +mounts):\n%s", diff)
	}
	dir := t.TempDir()
	unmount := Mount(t, ms, dir)
	write(t, filepath.Join(dir, "f"), "data")
	unmount()
	if info, err := sn.Stat(ctx, "work"); err != nil || info.Kind != snapshots.KindActive {
		t.Fatalf("Stat(work) = %+v, %v; want active", info, err)
	}
	if err := sn.Commit(ctx, "done", "work"); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if info, err := sn.Stat(ctx, "done"); err != nil || info.Kind != snapshots.KindCommitted {
		t.Fatalf("Stat(done) = %+v, %v; want committed", info, err)
	}
	if _, err := sn.Stat(ctx, "work"); !errdefs.IsNotFound(err) {
		t.Errorf("Stat of the committed key: %v, want NotFound", err)
	}
	if _, err := sn.Mounts(ctx, "done"); err == nil {
		t.Error("Mounts of a committed snapshot succeeded")
	}
	checkErr(t, "Commit again", sn.Commit(ctx, "done2", "work"), errdefs.ErrNotFound)
	if _, err := sn.Prepare(ctx, "work2", "done"); err != nil {
		t.Fatal(err)
	}
	checkErr(t, "Commit to a taken name", sn.Commit(ctx, "done", "work2"), errdefs.ErrAlreadyExists)
	if _, err := sn.View(ctx, "v", "done"); err != nil {
		t.Fatal(err)
	}
	checkErr(t, "Commit a view", sn.Commit(ctx, "fromview", "v"), errdefs.ErrConflict)
	if got := tree(t, view(ctx, t, sn, "v2", "done")); got["f"] != "data" {
		t.Errorf("committed content = %v, want f=data", got)
	}
}

func testRemove(ctx context.Context, t *testing.T, sn snapshots.Snapshotter) {
	layer(ctx, t, sn, "parent", "", func(d string) { write(t, filepath.Join(d, "p"), "p") })
	if _, err := sn.Prepare(ctx, "child", "parent"); err != nil {
		t.Fatal(err)
	}
	checkErr(t, "Remove parent with a child", sn.Remove(ctx, "parent"), errdefs.ErrConflict)
	if _, err := sn.Stat(ctx, "parent"); err != nil {
		t.Errorf("parent gone after a refused Remove: %v", err)
	}
	if err := sn.Remove(ctx, "child"); err != nil {
		t.Fatalf("Remove child: %v", err)
	}
	if err := sn.Remove(ctx, "parent"); err != nil {
		t.Fatalf("Remove parent: %v", err)
	}
	checkErr(t, "Remove again", sn.Remove(ctx, "parent"), errdefs.ErrNotFound)
	var left []string
	if err := sn.Walk(ctx, func(_ context.Context, i snapshots.Info) error { left = append(left, i.Name); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("snapshots left after removing all: %v", left)
	}
}

func testViewReadOnly(ctx context.Context, t *testing.T, sn snapshots.Snapshotter) {
	layer(ctx, t, sn, "one", "", func(d string) { write(t, filepath.Join(d, "f"), "1") })
	layer(ctx, t, sn, "two", "one", func(d string) { write(t, filepath.Join(d, "g"), "2") })
	for _, parent := range []string{"one", "two"} {
		dir := view(ctx, t, sn, "view-"+parent, parent)
		err := os.WriteFile(filepath.Join(dir, "new"), []byte("x"), 0o644)
		if !errors.Is(err, unix.EROFS) {
			t.Errorf("writing into a view of %s: %v, want EROFS", parent, err)
		}
		if got := tree(t, dir)["f"]; got != "1" {
			t.Errorf("view of %s: f = %q, want 1", parent, got)
		}
	}
	dir := view(ctx, t, sn, "empty-view", "")
	if err := os.WriteFile(filepath.Join(dir, "new"), []byte("x"), 0o644); !errors.Is(err, unix.EROFS) {
		t.Errorf("writing into a view without parent: %v, want EROFS", err)
	}
}

func testPrepareErrors(ctx context.Context, t *testing.T, sn snapshots.Snapshotter) {
	_, err := sn.Prepare(ctx, "a", "missing")
	checkErr(t, "Prepare on a missing parent", err, errdefs.ErrNotFound)
	if _, err := sn.Prepare(ctx, "a", ""); err != nil {
		t.Fatal(err)
	}
	_, err = sn.Prepare(ctx, "a", "")
	checkErr(t, "Prepare of a taken key", err, errdefs.ErrAlreadyExists)
	_, err = sn.Prepare(ctx, "b", "a")
	checkErr(t, "Prepare on an active parent", err, errdefs.ErrConflict)
	_, err = sn.View(ctx, "c", "a")
	checkErr(t, "View of an active parent", err, errdefs.ErrConflict)
	_, err = sn.Prepare(ctx, "", "")
	checkErr(t, "Prepare with an empty key", err, errdefs.ErrInvalidArgument)
}

func testInfo(ctx context.Context, t *testing.T, sn snapshots.Snapshotter) {
	layer(ctx, t, sn, "big", "", func(d string) {
		write(t, filepath.Join(d, "dir/big"), strings.Repeat("x", 1<<20))
	})
	u, err := sn.Usage(ctx, "big")
	if err != nil {
		t.Fatalf("Usage: %v", err)
	}
	if u.Size < 1<<20 || u.Inodes < 3 {
		t.Errorf("Usage(big) = %+v, want at least 1 MiB and 3 inodes", u)
	}
	if _, err := sn.Prepare(ctx, "labelled", "big", snapshots.WithLabels(map[string]string{"k": "v"})); err != nil {
		t.Fatal(err)
	}
	info, err := sn.Stat(ctx, "labelled")
	if err != nil {
		t.Fatal(err)
	}
	want := snapshots.Info{Kind: snapshots.KindActive, Name: "labelled", Parent: "big", Labels: map[string]string{"k": "v"}}
	if diff := cmp.Diff(want, info, cmp.FilterPath(func(p cmp.Path) bool {
		return p.String() == "Created" || p.String() == "Updated"
	}, cmp.Ignore())); diff != "" {
		t.Errorf("Stat (-want +got):\n%s", diff)
	}
	if info.Created.IsZero() {
		t.Error("Stat: zero Created time")
	}
	if _, err := sn.View(ctx, "v", "big"); err != nil {
		t.Fatal(err)
	}
	var got []string
	err = sn.Walk(ctx, func(_ context.Context, i snapshots.Info) error {
		got = append(got, i.Name+":"+i.Kind.String())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	if diff := cmp.Diff([]string{"big:committed", "labelled:active", "v:view"}, got); diff != "" {
		t.Errorf("Walk (-want +got):\n%s", diff)
	}
}

// testDeepChain stacks more layers than fit in one page of lowerdir paths.
func testDeepChain(ctx context.Context, t *testing.T, sn snapshots.Snapshotter) {
	const depth = 130
	parent := ""
	for i := range depth {
		name := fmt.Sprintf("layer-%d", i)
		layer(ctx, t, sn, name, parent, func(d string) {
			write(t, filepath.Join(d, "files", name), name)
			write(t, filepath.Join(d, "top"), name)
		})
		parent = name
	}
	ms, err := sn.Prepare(ctx, "deep", parent)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	Mount(t, ms, dir)
	got := tree(t, dir)
	if got["top"] != fmt.Sprintf("layer-%d", depth-1) {
		t.Errorf("top = %q, want the last layer's", got["top"])
	}
	for i := range depth {
		name := fmt.Sprintf("layer-%d", i)
		if got["files/"+name] != name {
			t.Errorf("files/%s missing from a %d-layer mount", name, depth)
		}
	}
	write(t, filepath.Join(dir, "written"), "ok")
}

func checkErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: %v, want %v", what, err, want)
	}
}
