package engine

import "github.com/cais-project/cais/internal/fsutil"

// fileLock takes a flock on path, shared or exclusive (fsutil.Lock).
func fileLock(path string, exclusive bool) (func(), error) { return fsutil.Lock(path, exclusive) }
