// Package fsutil holds the two file-system primitives the engine's stores
// share: a file written atomically (synced temp file, then rename) and a
// lock held through flock(2) on a file, between processes.
package fsutil
