package cli_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/cais-project/cais/internal/fixture"
)

// countingProxy serves in front of the registry at addr, counting requests.
func countingProxy(t *testing.T, addr string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: addr})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// noInternet makes any connection to a non-loopback host fail at once:
// HTTPS_PROXY and HTTP_PROXY point at a closed loopback port (loopback
// itself is never proxied), so reaching docker.io errors instead of
// leaving the machine or hanging.
func noInternet(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	t.Setenv("HTTPS_PROXY", closed)
	t.Setenv("HTTP_PROXY", closed)
	t.Setenv("NO_PROXY", "")
}

func TestRegistryMirror(t *testing.T) {
	e := newEnv(t)
	noInternet(t)
	mirror, hits := countingProxy(t, fixture.Registry(t))
	img := testImage(t, 1024, 1)
	push(t, strings.TrimPrefix(mirror.URL, "http://")+"/library/busybox:latest", img)
	id := "sha256:" + mustDigest(t, img.ConfigName).Hex

	broken := map[string]*httptest.Server{}
	for _, code := range []int{http.StatusNotFound, http.StatusInternalServerError} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(code)
		}))
		t.Cleanup(srv.Close)
		broken[http.StatusText(code)] = srv
	}

	t.Run("pull from the mirror", func(t *testing.T) {
		before := hits.Load()
		out := e.must("--registry-mirror", mirror.URL, "pull", "busybox:latest")
		if hits.Load() == before {
			t.Errorf("the mirror saw no request; pull said:\n%s", out)
		}
		if !hasLine(out, "docker.io/library/busybox:latest") {
			t.Errorf("pull output:\n%s", out)
		}
		got := e.must("images", "--no-trunc", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}")
		if !hasLine(got, "busybox:latest "+id) {
			t.Errorf("images after a mirrored pull:\n%s", got)
		}
		if strings.Contains(got, "127.0.0.1") {
			t.Errorf("the image is named after the mirror:\n%s", got)
		}
	})

	t.Run("a failing mirror passes on to the next", func(t *testing.T) {
		e.must("rmi", "busybox:latest")
		before := hits.Load()
		e.must("--registry-mirror", broken["Internal Server Error"].URL, "--registry-mirror", broken["Not Found"].URL,
			"--registry-mirror", mirror.URL, "pull", "busybox:latest")
		if hits.Load() == before {
			t.Errorf("the third mirror saw no request")
		}
	})

	t.Run("other registries are not mirrored", func(t *testing.T) {
		before := hits.Load()
		res := e.run("--registry-mirror", mirror.URL, "pull", "quay.io/library/busybox:latest")
		if res.code != 1 {
			t.Errorf("pull from quay.io without network: exit %d", res.code)
		}
		if hits.Load() != before {
			t.Errorf("the mirror was asked for a quay.io image")
		}
	})

	t.Run("all mirrors failing falls back to Docker Hub", func(t *testing.T) {
		start := time.Now()
		res := e.run("--registry-mirror", broken["Not Found"].URL, "--registry-mirror", broken["Internal Server Error"].URL,
			"pull", "busybox:1.0-nowhere")
		if res.code != 1 {
			t.Fatalf("pull with only failing mirrors and no network: exit %d\n%s", res.code, res.stderr)
		}
		for _, want := range []string{"mirror " + broken["Not Found"].URL, "mirror " + broken["Internal Server Error"].URL, "then from Docker Hub"} {
			if !strings.Contains(res.stderr, want) {
				t.Errorf("error lacks %q:\n%s", want, res.stderr)
			}
		}
		t.Logf("failed in %v", time.Since(start))
	})

	t.Run("a bad mirror URL is refused", func(t *testing.T) {
		res := e.run("--registry-mirror", "127.0.0.1:5000", "images")
		if res.code != 125 || !strings.Contains(res.stderr, "registry mirror") {
			t.Errorf("bad mirror: exit %d, stderr:\n%s", res.code, res.stderr)
		}
	})
}

// TestImagesBeforeSince lists images relative to another's creation time.
func TestImagesBeforeSince(t *testing.T) {
	e := newEnv(t)
	reg := fixture.Registry(t)
	base := testImage(t, 512, 1)
	ids := map[string]string{}
	for i, n := range []string{"old", "mid", "new"} {
		cf, err := base.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		cf = cf.DeepCopy()
		cf.Created = v1.Time{Time: time.Date(2020+i, 1, 1, 0, 0, 0, 0, time.UTC)}
		img, err := mutate.ConfigFile(base, cf)
		if err != nil {
			t.Fatal(err)
		}
		ref := reg + "/cais/" + n + ":v1"
		push(t, ref, img)
		e.must("pull", ref)
		ids[n] = mustDigest(t, img.ConfigName).Hex[:12]
	}
	list := func(args ...string) []string {
		out := e.must(append([]string{"images", "--format", "{{.Repository}}"}, args...)...)
		var got []string
		for _, l := range lines(out) {
			if l != "" {
				got = append(got, strings.TrimPrefix(l, reg+"/cais/"))
			}
		}
		return got
	}
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"all", nil, []string{"new", "mid", "old"}},
		{"-a", []string{"-a"}, []string{"new", "mid", "old"}},
		{"before by name", []string{"--filter", "before=" + reg + "/cais/new:v1"}, []string{"mid", "old"}},
		{"before by ID", []string{"--filter", "before=" + ids["mid"]}, []string{"old"}},
		{"since", []string{"--filter", "since=" + reg + "/cais/old:v1"}, []string{"new", "mid"}},
		{"since and before", []string{"-f", "since=" + ids["old"], "-f", "before=" + ids["new"]}, []string{"mid"}},
		{"since the newest", []string{"--filter", "since=" + ids["new"]}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := list(tc.args...); strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("images %v = %v, want %v", tc.args, got, tc.want)
			}
		})
	}
	t.Run("unknown image", func(t *testing.T) {
		res := e.run("images", "--filter", "before=nosuch:v9")
		if res.code != 1 || !strings.Contains(res.stderr, "no such image") {
			t.Errorf("before=unknown: exit %d, stderr:\n%s", res.code, res.stderr)
		}
	})
}
