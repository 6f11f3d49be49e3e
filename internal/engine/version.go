package engine

import (
	"context"

	"github.com/cais-project/cais/internal/engine/ocicli"
)

// RuntimeVersion is what an OCI runtime says of its version.
type RuntimeVersion struct {
	Name, Path, Version, GitCommit, Spec string
}

// DefaultRuntimeVersion asks the default OCI runtime (cais-runtime, found
// as containers find it) for its version; it needs no engine.
func DefaultRuntimeVersion(ctx context.Context) (RuntimeVersion, error) {
	p, err := helperBinary("cais-runtime")
	if err != nil {
		return RuntimeVersion{}, err
	}
	v, err := ocicli.Runtime{Path: p}.Version(ctx)
	if err != nil {
		return RuntimeVersion{}, err
	}
	return RuntimeVersion{Name: "cais-runtime", Path: p, Version: v.Runtime, GitCommit: v.Commit, Spec: v.Spec}, nil
}
