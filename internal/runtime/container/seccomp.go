package container

import (
	"path/filepath"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/runtime/seccomp"
)

// SeccompCacheDir is the directory under the runtime's root that caches
// compiled seccomp programs. Container ids cannot start with a dot, so it is
// never taken for a container, and List skips it.
const SeccompCacheDir = ".seccomp"

// seccompProgram starts obtaining the spec's compiled seccomp profile from
// the root's cache (compiling it in the background on a miss) and returns
// the function that waits for it; nil when the spec has none. A bad profile
// gives the errors seccomp.Validate gives, at once.
func seccompProgram(root string, s *specs.Spec) (func() (*seccomp.Program, error), error) {
	if s.Linux == nil || s.Linux.Seccomp == nil {
		return nil, nil
	}
	return seccomp.NewCache(filepath.Join(root, SeccompCacheDir)).Start(s.Linux.Seccomp)
}
