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

// seccompProgram compiles the spec's seccomp profile, or finds it in the
// root's cache; nil when the spec has none. A bad profile gives the errors
// seccomp.Validate gives.
func seccompProgram(root string, s *specs.Spec) (*seccomp.Program, error) {
	if s.Linux == nil || s.Linux.Seccomp == nil {
		return nil, nil
	}
	return seccomp.NewCache(filepath.Join(root, SeccompCacheDir)).Program(s.Linux.Seccomp)
}
