package fsutil

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReplaceSwapsContentWithoutLeftovers(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "state.json")
	if err := Replace(p, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Replace(p, []byte("two"), 0o640); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	fi, _ := os.Stat(p)
	if err != nil || string(b) != "two" || fi.Mode().Perm() != 0o640 {
		t.Fatalf("content %q mode %v err %v; want two, 0640", b, fi.Mode(), err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d entries in the directory, want only the file (no temp left)", len(ents))
	}
	missing := filepath.Join(dir, "no", "f")
	if err := Replace(missing, nil, 0o600); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("Replace into a missing directory: %v; want an error naming %s", err, missing)
	}
}
