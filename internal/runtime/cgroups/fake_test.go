package cgroups

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// layout creates a temporary tree laid out like cgroupfs: path -> content.
func layout(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, content := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// snapshot returns path -> content of every file under dir.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// changed returns the files whose content differs between two snapshots.
func changed(before, after map[string]string) map[string]string {
	out := map[string]string{}
	for p, v := range after {
		if before[p] != v {
			out[p] = v
		}
	}
	return out
}

func ptr[T any](v T) *T { return &v }
