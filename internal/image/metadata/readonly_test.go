package metadata

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/cais-project/cais/internal/errdefs"
)

// TestOpenReadOnly: no database yet is "not found" and creates nothing; a
// database written by Open reads back through OpenReadOnly, which refuses
// writes, and two read-only opens (shared locks) coexist.
func TestOpenReadOnly(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	if _, err := OpenReadOnly(root); !errdefs.IsNotFound(err) {
		t.Fatalf("OpenReadOnly on an empty root = %v, want not found", err)
	}
	if _, err := os.Stat(filepath.Join(root, "meta.db")); !os.IsNotExist(err) {
		t.Fatalf("OpenReadOnly created meta.db: %v", err)
	}
	w, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	img := Image{Name: "example.com/a:1", Target: target("a")}
	if _, err := w.Create(ctx, img); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r1, err := OpenReadOnly(root)
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close()
	r2, err := OpenReadOnly(root)
	if err != nil {
		t.Fatalf("second read-only open: %v", err)
	}
	defer r2.Close()
	got, err := r2.Get(ctx, img.Name)
	if err != nil || got.Target.Digest != img.Target.Digest {
		t.Fatalf("Get = %+v, %v; want target %s", got, err, img.Target.Digest)
	}
	if all, err := r1.List(ctx); err != nil || len(all) != 1 {
		t.Fatalf("List = %v, %v; want one record", all, err)
	}
	if _, err := r1.Create(ctx, Image{Name: "example.com/b:1", Target: target("b")}); err == nil {
		t.Fatal("Create through a read-only store succeeded")
	}
}
