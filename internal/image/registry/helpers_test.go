package registry

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/opencontainers/go-digest"

	"github.com/cais-project/cais/internal/image/content"
	"github.com/cais-project/cais/internal/image/metadata"
)

func newStore(t *testing.T) Store {
	t.Helper()
	root := t.TempDir()
	cs, err := content.NewStore(root)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := metadata.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ms.Close() })
	return Store{Content: cs, Images: ms}
}

// snapshot is what a failed operation must leave unchanged: the committed
// blobs (as Walk lists them) and the image records.
type snapshot struct {
	Blobs  []digest.Digest
	Images []metadata.Image
}

func snap(t *testing.T, st Store) snapshot {
	t.Helper()
	var s snapshot
	err := st.Content.(*content.Store).Walk(context.Background(), func(i content.Info) error {
		s.Blobs = append(s.Blobs, i.Digest)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.Images, err = st.Images.(*metadata.Store).List(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// write pushes img to ref on the registry directly (not through a proxy).
func write(t *testing.T, ref string, img v1.Image) v1.Hash {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatalf("writing %s: %v", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// proxy stands in front of a registry, counts requests and lets a test
// replace responses.
type proxy struct {
	addr     string
	upstream string
	mu       sync.Mutex
	counts   map[string]int // "GET blobs", "GET manifests", "POST mount", ...
	rule     func(w http.ResponseWriter, r *http.Request, up *upstreamResp) bool
}

// upstreamResp is the registry's answer to the proxied request.
type upstreamResp struct {
	status int
	header http.Header
	body   []byte
}

func newProxy(t *testing.T, registry string) *proxy {
	p := &proxy{upstream: registry, counts: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(srv.Close)
	p.addr = strings.TrimPrefix(srv.URL, "http://")
	return p
}

func kind(r *http.Request) string {
	switch {
	case r.URL.Query().Get("mount") != "":
		return r.Method + " mount"
	case strings.Contains(r.URL.Path, "/blobs/uploads"):
		return r.Method + " uploads"
	case strings.Contains(r.URL.Path, "/blobs/"):
		return r.Method + " blobs"
	case strings.Contains(r.URL.Path, "/manifests/"):
		return r.Method + " manifests"
	}
	return r.Method + " other"
}

func (p *proxy) count(k string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[k]
}

func (p *proxy) reset(rule func(http.ResponseWriter, *http.Request, *upstreamResp) bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts = map[string]int{}
	p.rule = rule
}

func (p *proxy) serve(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.counts[kind(r)]++
	rule := p.rule
	p.mu.Unlock()

	u := url.URL{Scheme: "http", Host: p.upstream, Path: r.URL.Path, RawQuery: r.URL.RawQuery}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	req.Header = r.Header.Clone()
	req.ContentLength = r.ContentLength
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	up := &upstreamResp{status: resp.StatusCode, header: resp.Header, body: body}
	if rule != nil && rule(w, r, up) {
		return
	}
	for k, vs := range up.header {
		if k == "Location" {
			// Keep upload sessions going through the proxy.
			for i, v := range vs {
				vs[i] = strings.Replace(v, p.upstream, p.addr, 1)
			}
		}
		w.Header()[k] = vs
	}
	w.WriteHeader(up.status)
	w.Write(up.body)
}

// reply writes a response with the given body and the upstream headers.
func reply(w http.ResponseWriter, up *upstreamResp, body []byte) {
	for k, vs := range up.header {
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Length", itoa(len(body)))
	w.WriteHeader(up.status)
	w.Write(body)
}

func itoa(n int) string { return strconv.Itoa(n) }
