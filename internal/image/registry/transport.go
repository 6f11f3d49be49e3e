package registry

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"

	"github.com/cais-project/cais/internal/errdefs"
)

// errTooLarge marks a manifest refused for its size.
var errTooLarge = errors.New("manifest too large")

// guardTransport sits under go-containerregistry's transports. It refuses
// plain HTTP to registries that are neither loopback nor listed as
// insecure (go-containerregistry would fall back to HTTP for private
// addresses too), and caps manifest responses before they are read.
type guardTransport struct {
	next          http.RoundTripper
	insecure      []string
	manifestLimit int64
}

func (g *guardTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && !plainHTTPAllowed(req.URL.Host, g.insecure) {
		return nil, fmt.Errorf("refusing plain HTTP to %s (not loopback, not listed as insecure): %w",
			req.URL.Host, errdefs.ErrPermission)
	}
	resp, err := g.next.RoundTrip(req)
	if err != nil || req.Method != http.MethodGet || !strings.Contains(req.URL.Path, "/manifests/") {
		return resp, err
	}
	if resp.ContentLength > g.manifestLimit {
		resp.Body.Close()
		return nil, tooLarge(req.URL.Path, resp.ContentLength, g.manifestLimit)
	}
	resp.Body = &limitedBody{rc: resp.Body, left: g.manifestLimit, path: req.URL.Path, limit: g.manifestLimit}
	return resp, nil
}

func tooLarge(what string, size, limit int64) error {
	return fmt.Errorf("%s: %d bytes or more, over the limit of %d: %w: %w", what, size, limit, errTooLarge, errdefs.ErrInvalidArgument)
}

// limitedBody fails a read that goes past the limit instead of truncating.
type limitedBody struct {
	rc          io.ReadCloser
	left, limit int64
	path        string
}

func (l *limitedBody) Read(p []byte) (int, error) {
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.rc.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return 0, tooLarge(l.path, l.limit+1, l.limit)
	}
	return n, err
}

func (l *limitedBody) Close() error { return l.rc.Close() }

// plainHTTPAllowed reports whether host (with optional port) may be spoken
// to without TLS.
func plainHTTPAllowed(host string, insecure []string) bool {
	if slices.Contains(insecure, host) {
		return true
	}
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	if slices.Contains(insecure, h) {
		return true
	}
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
