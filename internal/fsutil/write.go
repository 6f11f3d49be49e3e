package fsutil

import (
	"fmt"
	"os"
	"path/filepath"
)

// WriteFile writes b to path so that readers see the old content or the
// new, never a mix, and a crash leaves one of them: a temp file in the
// same directory, written, chmod'ed to perm, synced, then renamed over
// path. On error nothing but the old file remains.
func WriteFile(path string, b []byte, perm os.FileMode) error {
	return replace(path, b, perm, true)
}

// replace writes b to a temporary file next to path and renames it over
// path, fsyncing the file first when sync is set.
func replace(path string, b []byte, perm os.FileMode, sync bool) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
