package fsutil

import (
	"fmt"
	"os"
	"path/filepath"
)

// Replace is WriteFile without the fsync: readers still see the old
// content or the new, never a mix, but a machine crash may leave either,
// or an empty file. It is for files that do not outlive a reboot anyway
// (the runroot: bundles, monitor state), where the sync only costs time.
func Replace(path string, b []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Chmod(perm)
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
