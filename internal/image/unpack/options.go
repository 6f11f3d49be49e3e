package unpack

import "runtime"

// An Option changes how Unpack works.
type Option func(*options)

type options struct {
	parallel int
}

// DefaultParallel is how many layers Unpack extracts at once unless told
// otherwise. Extraction is bound by file creation in the kernel and by the
// disk, not by one core, and the layer with the most files decides when
// the pull ends: it must not wait in a queue behind the others, so every
// missing layer of a usual image starts at once.
const DefaultParallel = 8

// WithParallel sets how many layers Unpack extracts at the same time; 1
// extracts them one after the other. Values below 1 mean the default.
func WithParallel(n int) Option {
	return func(o *options) {
		if n >= 1 {
			o.parallel = n
		}
	}
}

// fileWorkers is how many goroutines create the small files of one layer
// (archive.ParallelFiles): file creation in different directories runs in
// parallel in the kernel, and a layer of many small files otherwise keeps
// one core busy while the others wait for it.
func fileWorkers() int { return min(4, max(2, runtime.GOMAXPROCS(0))) }
