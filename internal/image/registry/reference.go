package registry

import (
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/cais-project/cais/internal/errdefs"
)

// ParseReference parses an image reference the way Docker does ("busybox"
// is docker.io/library/busybox:latest). Registries in insecure are marked
// as allowed to use plain HTTP. A malformed reference fails with
// errdefs.ErrInvalidArgument.
func ParseReference(s string, insecure ...string) (name.Reference, error) {
	r, err := name.ParseReference(s)
	if err != nil {
		return nil, fmt.Errorf("reference %q: %v: %w", s, err, errdefs.ErrInvalidArgument)
	}
	if reg := r.Context().RegistryStr(); slices.Contains(insecure, reg) || slices.Contains(insecure, hostOnly(reg)) {
		r, err = name.ParseReference(s, name.Insecure)
		if err != nil {
			return nil, fmt.Errorf("reference %q: %v: %w", s, err, errdefs.ErrInvalidArgument)
		}
	}
	return r, nil
}

func hostOnly(hostport string) string {
	if i := strings.LastIndexByte(hostport, ':'); i > 0 && !strings.Contains(hostport[i:], "]") {
		return hostport[:i]
	}
	return hostport
}

// RecordName is the image record name for a reference: the full
// reference, with Docker Hub spelled docker.io as Docker shows it.
func RecordName(r name.Reference) string {
	n := r.Name()
	if rest, ok := strings.CutPrefix(n, name.DefaultRegistry+"/"); ok {
		return "docker.io/" + rest
	}
	return n
}
