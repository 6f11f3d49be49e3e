package transfer_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/image/content"
	"github.com/cais-project/cais/internal/image/registry"
	"github.com/cais-project/cais/internal/image/transfer"
)

func TestImport(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	raw := rootfsTar(t)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(raw)
	zw.Close()
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	img, err := transfer.Import(ctx, st.Store, &gz, "example.com/imp:v1", transfer.ImportOptions{
		Changes:  []string{`CMD ["/bin/hello"]`, "ENV A=1 B=\"two words\"", "WORKDIR /srv", "USER 1000:1000", "EXPOSE 80 53/udp", "LABEL k=v"},
		Platform: ocispec.Platform{OS: "linux", Architecture: "arm64"},
		Source:   "rootfs.tgz",
		Created:  created,
	})
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	if img.Record.Name != "example.com/imp:v1" {
		t.Errorf("record name %q", img.Record.Name)
	}
	if !img.Runnable || len(img.Layers) != 1 {
		t.Fatalf("image runnable=%v with %d layers, want a runnable one-layer image", img.Runnable, len(img.Layers))
	}
	if got, want := img.Config.RootFS.DiffIDs, []digest.Digest{digest.FromBytes(raw)}; !cmp.Equal(got, want) {
		t.Errorf("diff_ids %v, want the digest of the uncompressed tarball %v", got, want)
	}
	if img.Layers[0].MediaType != ocispec.MediaTypeImageLayerGzip {
		t.Errorf("layer media type %q", img.Layers[0].MediaType)
	}
	// The stored layer decompresses to exactly the tarball given.
	rc, err := content.Open(ctx, st.cs, img.Layers[0], true)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(rc)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	rc.Close()
	if err != nil || !bytes.Equal(got, raw) {
		t.Errorf("stored layer decompresses to %d bytes (err %v), want the %d bytes imported", len(got), err, len(raw))
	}
	want := ocispec.ImageConfig{
		Cmd:          []string{"/bin/hello"},
		Env:          []string{"A=1", "B=two words"},
		WorkingDir:   "/srv",
		User:         "1000:1000",
		ExposedPorts: map[string]struct{}{"80/tcp": {}, "53/udp": {}},
		Labels:       map[string]string{"k": "v"},
	}
	if diff := cmp.Diff(want, img.Config.Config); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	if img.Platform.Architecture != "arm64" || img.Config.OS != "linux" {
		t.Errorf("platform %+v", img.Platform)
	}
	if h := img.Config.History; len(h) != 1 || h[0].CreatedBy != "imported from rootfs.tgz" || !h[0].Created.Equal(created) {
		t.Errorf("history %+v", h)
	}
}

func TestImportRefusesNonTar(t *testing.T) {
	for name, in := range map[string][]byte{
		"text":  []byte(strings.Repeat("this is not a tar archive\n", 100)),
		"empty": tarOf(t),
	} {
		t.Run(name, func(t *testing.T) {
			st := newStore(t)
			before := st.state(t)
			_, err := transfer.Import(context.Background(), st.Store, bytes.NewReader(in), "x", transfer.ImportOptions{})
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("Import: %v, want invalid argument", err)
			}
			if diff := cmp.Diff(before, st.state(t)); diff != "" {
				t.Errorf("store changed (-before +after):\n%s", diff)
			}
		})
	}
}

func TestChanges(t *testing.T) {
	tests := []struct {
		change string
		want   ocispec.ImageConfig
		bad    bool
	}{
		{change: "CMD echo hi", want: ocispec.ImageConfig{Cmd: []string{"/bin/sh", "-c", "echo hi"}}},
		{change: `ENTRYPOINT ["/init", "--x"]`, want: ocispec.ImageConfig{Entrypoint: []string{"/init", "--x"}}},
		{change: "ENV PATH /usr/bin:/bin", want: ocispec.ImageConfig{Env: []string{"PATH=/usr/bin:/bin"}}},
		{change: "env a=b", want: ocispec.ImageConfig{Env: []string{"a=b"}}},
		{change: "VOLUME /data /logs", want: ocispec.ImageConfig{Volumes: map[string]struct{}{"/data": {}, "/logs": {}}}},
		{change: `VOLUME ["/data"]`, want: ocispec.ImageConfig{Volumes: map[string]struct{}{"/data": {}}}},
		{change: "STOPSIGNAL SIGINT", want: ocispec.ImageConfig{StopSignal: "SIGINT"}},
		{change: "RUN rm -rf /", bad: true},
		{change: "CMD", bad: true},
		{change: `LABEL a="unterminated`, bad: true},
		{change: "ENV a=1 =2", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.change, func(t *testing.T) {
			st := newStore(t)
			img, err := transfer.Import(context.Background(), st.Store, bytes.NewReader(rootfsTar(t)), "", transfer.ImportOptions{Changes: []string{tt.change}})
			if tt.bad {
				if !errors.Is(err, errdefs.ErrInvalidArgument) {
					t.Fatalf("Import: %v, want invalid argument", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, img.Config.Config); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
			if img.Record.Name != img.Record.Target.Digest.String() {
				t.Errorf("an import without a ref is recorded as %q, want its digest", img.Record.Name)
			}
		})
	}
}

// importTwo makes two images in st, tagged twice and once.
func importTwo(t *testing.T, st testStore) (a, b registry.Image) {
	t.Helper()
	ctx := context.Background()
	a, err := transfer.Import(ctx, st.Store, bytes.NewReader(rootfsTar(t)), "busybox:latest", transfer.ImportOptions{Changes: []string{"CMD /bin/sh"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := transfer.Import(ctx, st.Store, bytes.NewReader(rootfsTar(t)), "localhost:5000/tools/bb:1", transfer.ImportOptions{Changes: []string{"CMD /bin/sh"}, Created: *a.Config.Created}); err != nil {
		t.Fatal(err)
	}
	b, err = transfer.Import(ctx, st.Store, bytes.NewReader(tarOf(t, file("other", "x"))), "example.com/other:2", transfer.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return a, b
}

func TestSaveLoadRoundTrip(t *testing.T) {
	for _, format := range []transfer.Format{transfer.FormatDockerArchive, transfer.FormatOCIArchive} {
		t.Run(format.String(), func(t *testing.T) {
			ctx := context.Background()
			src := newStore(t)
			a, b := importTwo(t, src)
			var archive bytes.Buffer
			refs := []string{"busybox", "localhost:5000/tools/bb:1", "example.com/other:2"}
			if err := transfer.Save(ctx, src.Store, refs, &archive, format); err != nil {
				t.Fatalf("Save: %v", err)
			}
			dst := newStore(t)
			names, err := transfer.Load(ctx, dst.Store, bytes.NewReader(archive.Bytes()))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			want := []string{"docker.io/library/busybox:latest", "localhost:5000/tools/bb:1", "example.com/other:2"}
			if diff := cmp.Diff(want, names); diff != "" {
				t.Errorf("loaded names (-want +got):\n%s", diff)
			}
			for _, img := range []registry.Image{a, b} {
				got, err := registry.Load(ctx, dst.Store, img.Record.Name)
				if err != nil {
					t.Fatalf("loaded image %s: %v", img.Record.Name, err)
				}
				if got.ManifestDescriptor.Digest != img.ManifestDescriptor.Digest || !got.Runnable {
					t.Errorf("%s: loaded manifest %s (runnable %v), saved %s", img.Record.Name, got.ManifestDescriptor.Digest, got.Runnable, img.ManifestDescriptor.Digest)
				}
			}
			if diff := cmp.Diff(src.state(t).Blobs, dst.state(t).Blobs); diff != "" {
				t.Errorf("blobs differ (-saved +loaded):\n%s", diff)
			}
			if ing := dst.state(t).Ingests; len(ing) != 0 {
				t.Errorf("ingests left after load: %v", ing)
			}
			// Loading again moves nothing and adds nothing.
			before := dst.state(t)
			if _, err := transfer.Load(ctx, dst.Store, bytes.NewReader(archive.Bytes())); err != nil {
				t.Fatalf("second Load: %v", err)
			}
			if diff := cmp.Diff(before, dst.state(t)); diff != "" {
				t.Errorf("second load changed the store (-before +after):\n%s", diff)
			}
		})
	}
}

func TestSaveDockerArchiveLayout(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	a, _ := importTwo(t, st)
	var archive bytes.Buffer
	if err := transfer.Save(ctx, st.Store, []string{"busybox", "localhost:5000/tools/bb:1"}, &archive, transfer.FormatDockerArchive); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, e := range entries(t, archive.Bytes()) {
		if e.hdr.Typeflag == tar.TypeReg {
			files[e.hdr.Name] = e.body
		}
	}
	var m []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	if err := json.Unmarshal([]byte(files["manifest.json"]), &m); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	want := []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}{{
		Config:   "blobs/sha256/" + a.Manifest.Config.Digest.Encoded(),
		RepoTags: []string{"busybox:latest", "localhost:5000/tools/bb:1"},
		Layers:   []string{"blobs/sha256/" + a.Layers[0].Digest.Encoded()},
	}}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("manifest.json (-want +got):\n%s", diff)
	}
	for _, p := range append([]string{want[0].Config, "oci-layout", "index.json"}, want[0].Layers...) {
		if _, ok := files[p]; !ok {
			t.Errorf("archive lacks %s", p)
		}
	}
}

// TestLoadDockerLegacy loads the layout docker save wrote before Docker
// 25 (and podman save still writes): <id>/layer.tar, <config>.json.
func TestLoadDockerLegacy(t *testing.T) {
	ctx := context.Background()
	layer := rootfsTar(t)
	diffID := digest.FromBytes(layer)
	config := `{"architecture":"amd64","os":"linux","config":{"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":["` + diffID.String() + `"]}}`
	cfgName := digest.FromString(config).Encoded() + ".json"
	manifest := `[{"Config":"` + cfgName + `","RepoTags":["old:1"],"Layers":["abc/layer.tar"]},
		{"Config":"` + cfgName + `","RepoTags":["old:2"],"Layers":["def/layer.tar"]}]`
	good := []entry{
		dir("def/"), {hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "def/layer.tar", Linkname: "../abc/layer.tar"}},
		dir("abc/"), file("abc/VERSION", "1.0"), file("abc/json", "{}"), file("abc/layer.tar", string(layer)),
		file(cfgName, config), file("manifest.json", manifest), file("repositories", `{"old":{"1":"abc"}}`),
	}
	st := newStore(t)
	names, err := transfer.Load(ctx, st.Store, bytes.NewReader(tarOf(t, good...)))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if diff := cmp.Diff([]string{"docker.io/library/old:1", "docker.io/library/old:2"}, names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	img, err := registry.Load(ctx, st.Store, names[0])
	if err != nil {
		t.Fatal(err)
	}
	if !img.Runnable || len(img.Layers) != 1 || img.Layers[0].Digest != diffID || img.Layers[0].MediaType != ocispec.MediaTypeImageLayer {
		t.Errorf("loaded image: runnable %v, layers %+v", img.Runnable, img.Layers)
	}
	if got := st.state(t).Blobs; len(got) != 3 {
		t.Errorf("store holds %d blobs, want config, layer and manifest (the v1 json files are not kept): %v", len(got), got)
	}
}

// TestLoadRefuses feeds Load hostile and broken archives, each made from
// a good one, and checks each is refused with the store unchanged.
func TestLoadRefuses(t *testing.T) {
	ctx := context.Background()
	src := newStore(t)
	a, _ := importTwo(t, src)
	var good bytes.Buffer
	if err := transfer.Save(ctx, src.Store, []string{"busybox"}, &good, transfer.FormatDockerArchive); err != nil {
		t.Fatal(err)
	}
	layerPath := "blobs/sha256/" + a.Layers[0].Digest.Encoded()
	edit := func(f func([]entry) []entry) []byte {
		return tarOf(t, f(entries(t, good.Bytes()))...)
	}
	replace := func(name string, with ...entry) []byte {
		return edit(func(es []entry) []entry {
			var out []entry
			for _, e := range es {
				if e.hdr.Name == name {
					out = append(out, with...)
				} else {
					out = append(out, e)
				}
			}
			return out
		})
	}
	appendEntries := func(extra ...entry) []byte {
		return edit(func(es []entry) []entry { return append(es, extra...) })
	}
	truncated := good.Bytes()[:len(good.Bytes())/2]
	tests := map[string][]byte{
		"symlink":         appendEntries(entry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "evil", Linkname: "/etc/passwd"}}),
		"symlink as blob": replace(layerPath, entry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: layerPath, Linkname: "/etc/shadow"}}),
		"link outside":    appendEntries(entry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "blobs/x", Linkname: "../../../etc/passwd"}}),
		"link to nothing": appendEntries(entry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "a/layer.tar", Linkname: "../b/layer.tar"}}),
		"link to a link": appendEntries(entry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "a/l", Linkname: "../b/l"}},
			entry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "b/l", Linkname: "../index.json"}}),
		"hard link":        appendEntries(entry{hdr: tar.Header{Typeflag: tar.TypeLink, Name: "x", Linkname: "index.json"}}),
		"device":           appendEntries(entry{hdr: tar.Header{Typeflag: tar.TypeChar, Name: "null", Devmajor: 1, Devminor: 3}}),
		"dot dot":          appendEntries(file("../../escape", "x")),
		"dot dot inside":   appendEntries(file("blobs/../../escape", "x")),
		"absolute":         appendEntries(file("/etc/cron.d/x", "x")),
		"duplicate":        appendEntries(file("manifest.json", "[]")),
		"huge manifest":    replace("manifest.json", file("manifest.json", "["+strings.Repeat(" ", transfer.DefaultJSONLimit)+"]")),
		"wrong content":    replace(layerPath, file(layerPath, "not the layer")),
		"bad blob name":    appendEntries(file("blobs/sha256/nothex", "x")),
		"missing layer":    replace(layerPath),
		"not json":         replace("index.json", file("index.json", "{")),
		"no index":         edit(func(es []entry) []entry { return es[:0] }),
		"not an archive":   []byte(strings.Repeat("garbage", 1000)),
		"truncated":        truncated,
		"layout version 2": replace("oci-layout", file("oci-layout", `{"imageLayoutVersion":"2.0.0"}`)),
	}
	for name, archive := range tests {
		t.Run(name, func(t *testing.T) {
			st := newStore(t)
			before := st.state(t)
			names, err := transfer.Load(ctx, st.Store, bytes.NewReader(archive))
			if err == nil {
				t.Fatalf("Load accepted it (names %v)", names)
			}
			if !errors.Is(err, errdefs.ErrInvalidArgument) && !errors.Is(err, errdefs.ErrNotImplemented) {
				t.Errorf("Load: %v, want invalid argument", err)
			}
			if diff := cmp.Diff(before, st.state(t)); diff != "" {
				t.Errorf("store changed (-before +after):\n%s", diff)
			}
		})
	}
}

func TestLoadUncompressedLayerMustMatchDiffID(t *testing.T) {
	layer := rootfsTar(t)
	config := `{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["` + digest.FromString("other").String() + `"]}}`
	archive := tarOf(t, file("l.tar", string(layer)), file("c.json", config),
		file("manifest.json", `[{"Config":"c.json","RepoTags":["x:1"],"Layers":["l.tar"]}]`))
	st := newStore(t)
	before := st.state(t)
	if _, err := transfer.Load(context.Background(), st.Store, bytes.NewReader(archive)); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("Load: %v, want invalid argument", err)
	}
	if diff := cmp.Diff(before, st.state(t)); diff != "" {
		t.Errorf("store changed (-before +after):\n%s", diff)
	}
}

func TestSaveErrors(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	importTwo(t, st)
	tests := map[string]struct {
		refs   []string
		format transfer.Format
		want   error
	}{
		"no refs":        {nil, transfer.FormatOCIArchive, errdefs.ErrInvalidArgument},
		"unknown format": {[]string{"busybox"}, 0, errdefs.ErrInvalidArgument},
		"absent image":   {[]string{"nothere:1"}, transfer.FormatOCIArchive, errdefs.ErrNotFound},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			err := transfer.Save(ctx, st.Store, tt.refs, io.Discard, tt.format)
			if !errors.Is(err, tt.want) {
				t.Errorf("Save: %v, want %v", err, tt.want)
			}
		})
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]transfer.Format{"docker-archive": transfer.FormatDockerArchive, "oci-archive": transfer.FormatOCIArchive, "oci": transfer.FormatOCIArchive} {
		if got, err := transfer.ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := transfer.ParseFormat("tar"); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("ParseFormat(tar): %v", err)
	}
}
