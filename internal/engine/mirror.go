package engine

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/image/registry"
)

// parseMirror checks a registry mirror URL and returns its host[:port]
// and whether it is plain HTTP.
func parseMirror(s string) (host string, plain bool, err error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", false, fmt.Errorf("registry mirror %q: %v: %w", s, err, errdefs.ErrInvalidArgument)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Trim(u.Path, "/") != "" ||
		u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", false, fmt.Errorf("registry mirror %q: want http[s]://host[:port]: %w", s, errdefs.ErrInvalidArgument)
	}
	return u.Host, u.Scheme == "http", nil
}

// pullMirrored pulls ref, trying the registry mirrors first when ref is a
// Docker Hub image, then Docker Hub itself, as dockerd does. Any failure
// at a mirror moves on to the next; the last failure is returned, naming
// the mirrors' failures too.
func (e *Engine) pullMirrored(ctx context.Context, pref Reference, ref string, ropts []registry.Option) (registry.Image, error) {
	if len(e.opts.RegistryMirrors) == 0 || !strings.HasPrefix(pref.Repository, "docker.io/") {
		return registry.Pull(ctx, e.registryStore(), ref, ropts...)
	}
	var failed []string
	for _, m := range e.opts.RegistryMirrors {
		host, plain, err := parseMirror(m)
		if err != nil {
			return registry.Image{}, err
		}
		// One quick retry: a mirror that keeps failing should hand the pull
		// on, not hold it through the full backoff.
		opts := append(append([]registry.Option(nil), ropts...), registry.WithEndpoint(host),
			registry.WithRetries(1, 200*time.Millisecond))
		if plain {
			opts = append(opts, registry.WithInsecureRegistries(host))
		}
		img, err := registry.Pull(ctx, e.registryStore(), ref, opts...)
		if err == nil {
			return img, nil
		}
		if ctx.Err() != nil {
			return registry.Image{}, err
		}
		failed = append(failed, fmt.Sprintf("mirror %s: %v", m, err))
	}
	img, err := registry.Pull(ctx, e.registryStore(), ref, ropts...)
	if err != nil {
		return registry.Image{}, fmt.Errorf("%s; then from Docker Hub: %w", strings.Join(failed, "; "), err)
	}
	return img, nil
}
