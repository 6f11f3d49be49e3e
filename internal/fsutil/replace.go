package fsutil

import "os"

// Replace is WriteFile without the fsync: readers still see the old
// content or the new, never a mix, but a machine crash may leave either,
// or an empty file. It is for files that do not outlive a reboot anyway
// (the runroot: bundles, monitor state), where the sync only costs time.
func Replace(path string, b []byte, perm os.FileMode) error {
	return replace(path, b, perm, false)
}
