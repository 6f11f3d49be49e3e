package volume

import "github.com/cais-project/cais/internal/fsutil"

// flock takes an exclusive flock on path (created if needed), waiting for
// it. The returned func releases it.
func flock(path string) (func(), error) { return fsutil.Lock(path, true) }
