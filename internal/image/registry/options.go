package registry

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"time"

	"github.com/containerd/platforms"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cais-project/cais/internal/errdefs"
)

// DefaultManifestLimit is the largest manifest, index or config accepted.
const DefaultManifestLimit = 4 << 20

// Option configures Pull and Push.
type Option func(*options)

type options struct {
	platform      ocispec.Platform
	insecure      []string
	keychain      authn.Keychain
	transport     http.RoundTripper
	manifestLimit int64
	jobs          int
	retries       int
	backoff       time.Duration
	foreign       bool
	progress      Progress
	endpoint      string
}

func newOptions(opts []Option) options {
	o := options{
		platform:      platforms.DefaultSpec(),
		keychain:      authn.DefaultKeychain,
		transport:     remote.DefaultTransport,
		manifestLimit: DefaultManifestLimit,
		jobs:          4,
		retries:       3,
		backoff:       time.Second,
		progress:      ProgressFunc(func(Update) {}),
	}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithPlatform selects which image of an index to pull (default: the
// host's, as platforms.DefaultSpec says).
func WithPlatform(p ocispec.Platform) Option { return func(o *options) { o.platform = p } }

// ParsePlatform parses "os/arch[/variant]" (or "arch", meaning the host's
// OS) as the --platform flag gives it.
func ParsePlatform(s string) (ocispec.Platform, error) {
	p, err := platforms.Parse(s)
	if err != nil {
		return ocispec.Platform{}, fmt.Errorf("platform %q: %v: %w", s, err, errdefs.ErrInvalidArgument)
	}
	return platforms.Normalize(p), nil
}

// WithInsecureRegistries allows plain HTTP (and lets go-containerregistry
// fall back to it) for the named registries ("host" or "host:port"), in
// addition to loopback ones.
func WithInsecureRegistries(hosts ...string) Option {
	return func(o *options) { o.insecure = append(o.insecure, hosts...) }
}

// WithKeychain replaces the Docker keychain used for credentials.
func WithKeychain(k authn.Keychain) Option { return func(o *options) { o.keychain = k } }

// WithTransport replaces the HTTP transport (the default is
// go-containerregistry's). Retries and size limits are layered on top.
func WithTransport(t http.RoundTripper) Option { return func(o *options) { o.transport = t } }

// WithManifestLimit changes the size limit for manifests, indexes and
// configs.
func WithManifestLimit(n int64) Option { return func(o *options) { o.manifestLimit = n } }

// WithConcurrency bounds how many blobs are transferred at once (default 4).
func WithConcurrency(n int) Option {
	return func(o *options) { o.jobs = max(1, n) }
}

// WithRetries sets how many times a failed request or a blob transfer cut
// short is retried (default 3), and the first wait between tries (default
// 1s, tripled each time).
func WithRetries(n int, backoff time.Duration) Option {
	return func(o *options) { o.retries, o.backoff = max(0, n), backoff }
}

// WithForeignLayers fetches and pushes non-distributable layers too.
func WithForeignLayers() Option { return func(o *options) { o.foreign = true } }

// WithEndpoint makes Pull fetch from another registry ("host[:port]", a
// mirror) the same repository path, while recording the image under the
// reference's own name, as pulled from its own registry. The endpoint may
// use plain HTTP under the same rules as any registry.
func WithEndpoint(host string) Option { return func(o *options) { o.endpoint = host } }

// WithProgress reports transfers to p.
func WithProgress(p Progress) Option { return func(o *options) { o.progress = p } }

// remoteOptions are the go-containerregistry options for one operation.
func (o *options) remoteOptions(ctx context.Context) []remote.Option {
	return []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(o.keychain),
		remote.WithTransport(&guardTransport{next: o.transport, insecure: o.insecure, manifestLimit: o.manifestLimit}),
		remote.WithJobs(o.jobs),
		remote.WithRetryBackoff(remote.Backoff{Duration: o.backoff, Factor: 3, Jitter: 0.1, Steps: o.retries + 1}),
		remote.WithUserAgent("cais/" + runtime.Version()),
	}
}
