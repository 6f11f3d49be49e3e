package registry

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/fixture"
	"github.com/cais-project/cais/internal/image/content"
)

func layerDigests(t *testing.T, img v1.Image) []digest.Digest {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var out []digest.Digest
	for _, l := range ls {
		d, _ := l.Digest()
		out = append(out, digest.Digest(d.String()))
	}
	return out
}

func descDigests(ds []ocispec.Descriptor) []digest.Digest {
	var out []digest.Digest
	for _, d := range ds {
		out = append(out, d.Digest)
	}
	return out
}

// recorder collects progress updates.
type recorder struct {
	mu      sync.Mutex
	updates []Update
}

func (r *recorder) Progress(u Update) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.updates = append(r.updates, u)
}

// final returns each digest's last state.
func (r *recorder) final() map[digest.Digest]State {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[digest.Digest]State{}
	for _, u := range r.updates {
		out[u.Digest] = u.State
	}
	return out
}

func TestPullMultiLayerThenNothingButTheManifest(t *testing.T) {
	reg := fixture.Registry(t)
	img, err := random.Image(4096, 3)
	if err != nil {
		t.Fatal(err)
	}
	write(t, reg+"/test/multi:v1", img)
	px := newProxy(t, reg)
	st := newStore(t)
	ctx := context.Background()

	rec := &recorder{}
	got, err := Pull(ctx, st, px.addr+"/test/multi:v1", WithProgress(rec))
	if err != nil {
		t.Fatalf("Pull: %v", err)
	}
	want := layerDigests(t, img)
	if diff := cmp.Diff(want, descDigests(got.Layers)); diff != "" {
		t.Errorf("layers (-want +got):\n%s", diff)
	}
	if !got.Runnable || len(got.Missing) != 0 {
		t.Errorf("Runnable = %v, Missing = %v; want runnable, nothing missing", got.Runnable, got.Missing)
	}
	if got.Record.Name != px.addr+"/test/multi:v1" || got.Record.Labels[LabelSource] != px.addr+"/test/multi" {
		t.Errorf("record = %+v", got.Record)
	}
	cfgName, _ := img.ConfigName()
	if got.Manifest.Config.Digest.String() != cfgName.String() {
		t.Errorf("config = %s, want %s", got.Manifest.Config.Digest, cfgName)
	}
	for _, d := range append(want, digest.Digest(cfgName.String()), got.ManifestDescriptor.Digest) {
		if _, err := st.Content.Info(ctx, d); err != nil {
			t.Errorf("blob %s not in the store: %v", d, err)
		}
	}
	for _, d := range want {
		if s := rec.final()[d]; s != StateDone {
			t.Errorf("progress for %s ended in %q, want done", d, s)
		}
	}
	if n := px.count("GET blobs"); n != 4 {
		t.Errorf("first pull fetched %d blobs, want 4 (config + 3 layers)", n)
	}

	px.reset(nil)
	rec = &recorder{}
	again, err := Pull(ctx, st, px.addr+"/test/multi:v1", WithProgress(rec))
	if err != nil {
		t.Fatalf("second Pull: %v", err)
	}
	if n := px.count("GET blobs"); n != 0 {
		t.Errorf("second pull fetched %d blobs, want 0", n)
	}
	if n := px.count("GET manifests"); n != 1 {
		t.Errorf("second pull fetched %d manifests, want 1", n)
	}
	if again.ManifestDescriptor.Digest != got.ManifestDescriptor.Digest {
		t.Errorf("second pull resolved %s, want %s", again.ManifestDescriptor.Digest, got.ManifestDescriptor.Digest)
	}
	for _, d := range want {
		if s := rec.final()[d]; s != StateExists {
			t.Errorf("second pull progress for %s = %q, want exists", d, s)
		}
	}
	loaded, err := Load(ctx, st, got.Record.Name)
	if err != nil || loaded.ManifestDescriptor.Digest != got.ManifestDescriptor.Digest {
		t.Errorf("Load = %+v, %v", loaded.ManifestDescriptor, err)
	}
}

func platformImage(t *testing.T, p v1.Platform) v1.Image {
	t.Helper()
	img, err := random.Image(1024, 2)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestPullIndexPicksPlatform(t *testing.T) {
	reg := fixture.Registry(t)
	plats := []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64", Variant: "v8"}, {OS: "linux", Architecture: "arm", Variant: "v7"}}
	var adds []mutate.IndexAddendum
	imgs := map[string]v1.Image{}
	for _, p := range plats {
		img := platformImage(t, p)
		imgs[p.Architecture] = img
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
	}
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), adds...)
	idxDigest, _ := idx.Digest()
	if err := remoteWriteIndex(reg+"/test/multi-arch:v1", idx); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	cases := []struct {
		platform string
		wantArch string
	}{
		{"linux/arm64", "arm64"},
		{"linux/amd64", "amd64"},
		{"linux/arm/v7", "arm"},
	}
	for _, c := range cases {
		t.Run(c.platform, func(t *testing.T) {
			st := newStore(t)
			p, err := ParsePlatform(c.platform)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Pull(ctx, st, reg+"/test/multi-arch:v1", WithPlatform(p))
			if err != nil {
				t.Fatalf("Pull: %v", err)
			}
			wantDigest, _ := imgs[c.wantArch].Digest()
			if got.ManifestDescriptor.Digest.String() != wantDigest.String() {
				t.Errorf("manifest = %s, want %s's %s", got.ManifestDescriptor.Digest, c.wantArch, wantDigest)
			}
			if got.Record.Target.Digest.String() != idxDigest.String() {
				t.Errorf("record target = %s, want the index %s", got.Record.Target.Digest, idxDigest)
			}
			if got.Config.Architecture != c.wantArch || got.Platform.Architecture != c.wantArch {
				t.Errorf("config architecture = %q, platform %+v; want %s", got.Config.Architecture, got.Platform, c.wantArch)
			}
			// The other platforms' layers were not fetched.
			for arch, img := range imgs {
				if arch == c.wantArch {
					continue
				}
				for _, d := range layerDigests(t, img) {
					if _, err := st.Content.Info(ctx, d); !errdefs.IsNotFound(err) {
						t.Errorf("%s layer %s: %v, want NotFound", arch, d, err)
					}
				}
			}
		})
	}
	t.Run("absent platform", func(t *testing.T) {
		st := newStore(t)
		before := snap(t, st)
		_, err := Pull(ctx, st, reg+"/test/multi-arch:v1", WithPlatform(ocispec.Platform{OS: "linux", Architecture: "s390x"}))
		if !errdefs.IsNotFound(err) || !strings.Contains(err.Error(), "linux/s390x") {
			t.Errorf("Pull of an absent platform: %v, want NotFound naming linux/s390x", err)
		}
		if diff := cmp.Diff(before, snap(t, st)); diff != "" {
			t.Errorf("store changed (-before +after):\n%s", diff)
		}
	})
}

func TestPullArtifactIsStoredButNotRunnable(t *testing.T) {
	reg := fixture.Registry(t)
	data := static.NewLayer([]byte("not a tar"), "application/vnd.example.data")
	art, err := mutate.Append(mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), "application/vnd.example.config+json"),
		mutate.Addendum{Layer: data, MediaType: "application/vnd.example.data"})
	if err != nil {
		t.Fatal(err)
	}
	write(t, reg+"/test/artifact:v1", art)
	st := newStore(t)
	got, err := Pull(context.Background(), st, reg+"/test/artifact:v1")
	if err != nil {
		t.Fatalf("Pull: %v", err)
	}
	if got.Runnable {
		t.Errorf("an artifact is Runnable")
	}
	dd, _ := data.Digest()
	if _, err := st.Content.Info(context.Background(), digest.Digest(dd.String())); err != nil {
		t.Errorf("artifact blob not stored: %v", err)
	}
}

func TestPullRecoversFromOneFailure(t *testing.T) {
	reg := fixture.Registry(t)
	img, _ := random.Image(64<<10, 2)
	write(t, reg+"/test/flaky:v1", img)
	target := layerDigests(t, img)[0]
	cases := []struct {
		name string
		fail func(w http.ResponseWriter, up *upstreamResp)
	}{
		{"500 once", func(w http.ResponseWriter, up *upstreamResp) { http.Error(w, "boom", 500) }},
		{"connection dropped once", func(w http.ResponseWriter, up *upstreamResp) { dropMidBody(w, up) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			px := newProxy(t, reg)
			var once sync.Once
			px.reset(func(w http.ResponseWriter, r *http.Request, up *upstreamResp) bool {
				if r.Method != "GET" || !strings.HasSuffix(r.URL.Path, "/blobs/"+target.String()) {
					return false
				}
				failed := false
				once.Do(func() { c.fail(w, up); failed = true })
				return failed
			})
			st := newStore(t)
			if _, err := Pull(context.Background(), st, px.addr+"/test/flaky:v1", WithRetries(3, time.Millisecond)); err != nil {
				t.Fatalf("Pull after one failure: %v", err)
			}
			if n := px.count("GET blobs"); n != 4 {
				t.Errorf("blob GETs = %d, want 4 (3 blobs, one of them twice)", n)
			}
		})
	}
}

// dropMidBody announces the full body, sends half and cuts the connection.
func dropMidBody(w http.ResponseWriter, up *upstreamResp) {
	for k, vs := range up.header {
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Length", itoa(len(up.body)))
	w.WriteHeader(up.status)
	w.Write(up.body[:len(up.body)/2])
	w.(http.Flusher).Flush()
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}

func TestPullBadInputLeavesStoreUnchanged(t *testing.T) {
	reg := fixture.Registry(t)
	good, _ := random.Image(1024, 1)
	write(t, reg+"/test/good:v1", good)
	img, _ := random.Image(64<<10, 2)
	write(t, reg+"/test/bad:v1", img)
	layer := layerDigests(t, img)[1]
	isLayer := func(r *http.Request) bool {
		return r.Method == "GET" && strings.HasSuffix(r.URL.Path, "/blobs/"+layer.String())
	}
	isManifestGet := func(r *http.Request) bool { return r.Method == "GET" && strings.Contains(r.URL.Path, "/manifests/") }

	cases := []struct {
		name    string
		ref     string // default: the bad image through the proxy
		rule    func(w http.ResponseWriter, r *http.Request, up *upstreamResp) bool
		class   error
		message string
		minGets int // minimum GETs of the layer (retries)
	}{
		{name: "wrong digest on a blob", rule: func(w http.ResponseWriter, r *http.Request, up *upstreamResp) bool {
			if !isLayer(r) {
				return false
			}
			up.body[len(up.body)/2] ^= 0xff
			reply(w, up, up.body)
			return true
		}, class: errdefs.ErrInvalidArgument, message: "checksum"},
		{name: "oversized manifest", rule: func(w http.ResponseWriter, r *http.Request, up *upstreamResp) bool {
			if !isManifestGet(r) {
				return false
			}
			reply(w, up, append(up.body, make([]byte, 5<<20)...))
			return true
		}, class: errdefs.ErrInvalidArgument, message: "over the limit"},
		{name: "oversized manifest without a length", rule: func(w http.ResponseWriter, r *http.Request, up *upstreamResp) bool {
			if !isManifestGet(r) {
				return false
			}
			for k, vs := range up.header {
				w.Header()[k] = vs
			}
			w.Header().Del("Content-Length")
			w.WriteHeader(200)
			w.Write(up.body)
			w.(http.Flusher).Flush() // chunked from here on
			w.Write([]byte(strings.Repeat(" ", 5<<20)))
			return true
		}, class: errdefs.ErrInvalidArgument, message: "over the limit"},
		{name: "truncated blob", rule: func(w http.ResponseWriter, r *http.Request, up *upstreamResp) bool {
			if !isLayer(r) {
				return false
			}
			reply(w, up, up.body[:len(up.body)-100])
			return true
		}, class: errdefs.ErrInvalidArgument, message: "checksum"},
		{name: "registry answers 500", rule: func(w http.ResponseWriter, r *http.Request, up *upstreamResp) bool {
			if !isLayer(r) {
				return false
			}
			http.Error(w, "internal error", 500)
			return true
		}, class: errdefs.ErrUnavailable, message: "500", minGets: 3},
		{name: "connection dropped mid-blob", rule: func(w http.ResponseWriter, r *http.Request, up *upstreamResp) bool {
			if !isLayer(r) {
				return false
			}
			dropMidBody(w, up)
			return true
		}, class: errdefs.ErrUnavailable, message: "unexpected EOF", minGets: 3},
		{name: "unknown media type", rule: func(w http.ResponseWriter, r *http.Request, up *upstreamResp) bool {
			if !isManifestGet(r) {
				return false
			}
			up.header.Set("Content-Type", "application/vnd.example.unknown")
			reply(w, up, up.body)
			return true
		}, class: errdefs.ErrNotImplemented, message: "application/vnd.example.unknown"},
		{name: "reference that does not parse", ref: "Bad::Ref@@", class: errdefs.ErrInvalidArgument, message: "Bad::Ref@@"},
		{name: "manifest not found", ref: "test/absent:v1", class: errdefs.ErrNotFound, message: "MANIFEST_UNKNOWN"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			px := newProxy(t, reg)
			st := newStore(t)
			if _, err := Pull(context.Background(), st, px.addr+"/test/good:v1"); err != nil {
				t.Fatalf("seeding the store: %v", err)
			}
			before := snap(t, st)
			px.reset(c.rule)
			ref := px.addr + "/test/bad:v1"
			if c.ref == "Bad::Ref@@" {
				ref = c.ref
			} else if c.ref != "" {
				ref = px.addr + "/" + c.ref
			}
			_, err := Pull(context.Background(), st, ref, WithRetries(2, time.Millisecond))
			if err == nil {
				t.Fatal("Pull succeeded")
			}
			t.Logf("Pull error: %v", err)
			if c.class != nil && !errors.Is(err, c.class) {
				t.Errorf("Pull error %q is not of class %v", err, c.class)
			}
			if !strings.Contains(err.Error(), c.message) {
				t.Errorf("Pull error %q does not mention %q", err, c.message)
			}
			if n := px.count("GET blobs"); n < c.minGets {
				t.Errorf("blob GETs = %d, want at least %d (retries)", n, c.minGets)
			}
			if diff := cmp.Diff(before, snap(t, st)); diff != "" {
				t.Errorf("store changed (-before +after):\n%s", diff)
			}
			if ing, _ := st.Content.(*content.Store).Ingests(context.Background()); len(ing) != 0 {
				t.Errorf("ingests left after a failed pull: %+v", ing)
			}
		})
	}
}
