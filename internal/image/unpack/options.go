package unpack

import (
	"os"
	"runtime"
	"strconv"
)

// An Option changes how Unpack works.
type Option func(*options)

type options struct {
	parallel int
}

// WithParallel sets how many layers Unpack extracts at the same time; 1
// extracts them one after the other. Values below 1 mean the default.
func WithParallel(n int) Option {
	return func(o *options) {
		if n >= 1 {
			o.parallel = n
		}
	}
}

// defaultParallel: TODO measure.
func defaultParallel() int {
	if v, err := strconv.Atoi(os.Getenv("CAIS_UNPACK_JOBS")); err == nil && v > 0 {
		return v
	}
	return runtime.GOMAXPROCS(0) + 1
}
