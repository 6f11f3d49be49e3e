package unpack_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/cais-project/cais/internal/image/unpack"
	"github.com/cais-project/cais/internal/testgate"
	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// buildImage makes an OCI layout with umoci: layers from directory edits
// (files, owners, setuid, symlinks, hard links, deletions that umoci turns
// into whiteouts) plus one hand-written layer with an opaque directory.
const buildImage = `
set -eu
cd "$1"
umoci init --layout L
umoci new --image L:t
umoci unpack --image L:t B
r=B/rootfs
mkdir -p $r/etc $r/opq/sub $r/keep $r/usr/bin
echo root > $r/etc/passwd; echo hosts > $r/etc/hosts
echo old > $r/opq/old; echo old > $r/opq/sub/deep; echo k > $r/keep/k
echo tool > $r/usr/bin/tool; chmod 4755 $r/usr/bin/tool
ln $r/usr/bin/tool $r/usr/bin/tool-hard
ln -s ../etc/passwd $r/keep/link; ln -s /nowhere $r/keep/dangling
chown -R 1000:1001 $r/keep; chown -h 7:8 $r/keep/link
chmod 1777 $r/keep; mkfifo $r/fifo
umoci repack --image L:t B
rm -rf B
umoci unpack --image L:t B
rm $r/etc/hosts; rm -rf $r/keep/dangling
echo new > $r/etc/passwd; echo added > $r/added
umoci repack --image L:t B
rm -rf B
umoci raw add-layer --image L:t "$2"
umoci unpack --image L:t ref
`

// TestUnpackMatchesUmoci unpacks the same image with umoci and with Unpack
// (then mounting a view of the top snapshot) and compares every file.
func TestUnpackMatchesUmoci(t *testing.T) {
	testgate.Root(t)
	testgate.Overlay(t)
	testgate.Binary(t, "/usr/bin/umoci")
	work := t.TempDir()
	var opq bytes.Buffer
	tw := tar.NewWriter(&opq)
	for _, e := range []entry{
		{hdr: tar.Header{Typeflag: tar.TypeDir, Name: "opq/", Mode: 0o750}},
		reg("opq/.wh..wh..opq", ""),
		reg("opq/fresh", "fresh"),
		reg("usr/bin/.wh.tool-hard", ""),
	} {
		h := e.hdr
		tw.WriteHeader(&h)
		io.WriteString(tw, e.body)
	}
	tw.Close()
	opqTar := filepath.Join(work, "opq.tar")
	if err := os.WriteFile(opqTar, opq.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("sh", "-c", buildImage, "sh", work, opqTar).CombinedOutput(); err != nil {
		t.Fatalf("building the image with umoci: %v\n%s", err, out)
	}

	layers := layoutLayers(t, filepath.Join(work, "L"))
	if len(layers) != 3 {
		t.Fatalf("umoci made %d layers, want 3", len(layers))
	}
	sn := newSnapshotter(t)
	chain, err := unpack.Unpack(context.Background(), sn, layers)
	if err != nil {
		t.Fatalf("Unpack: %v", err)
	}
	ours := describe(t, mountView(t, sn, chain))
	theirs := describe(t, filepath.Join(work, "ref", "rootfs"))
	if diff := cmp.Diff(theirs, ours); diff != "" {
		t.Errorf("trees differ (-umoci +cais):\n%s", diff)
	}
	for _, gone := range []string{"etc/hosts", "keep/dangling", "opq/old", "opq/sub", "usr/bin/tool-hard"} {
		if _, ok := ours[gone]; ok {
			t.Errorf("%s is visible, but a later layer deleted it", gone)
		}
	}
	for _, kept := range []string{"opq/fresh", "keep/link", "usr/bin/tool", "fifo", "added"} {
		if _, ok := ours[kept]; !ok {
			t.Errorf("%s is missing", kept)
		}
	}
}

// layoutLayers reads the image tagged "t" from an OCI layout directory.
func layoutLayers(t *testing.T, layout string) []unpack.LayerSource {
	t.Helper()
	blob := func(d digest.Digest) string {
		return filepath.Join(layout, "blobs", d.Algorithm().String(), d.Encoded())
	}
	readJSON := func(p string, v any) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
	}
	var index ocispec.Index
	readJSON(filepath.Join(layout, "index.json"), &index)
	if len(index.Manifests) != 1 {
		t.Fatalf("index has %d manifests, want 1", len(index.Manifests))
	}
	var manifest ocispec.Manifest
	readJSON(blob(index.Manifests[0].Digest), &manifest)
	var config ocispec.Image
	readJSON(blob(manifest.Config.Digest), &config)
	if len(config.RootFS.DiffIDs) != len(manifest.Layers) {
		t.Fatalf("%d diff_ids for %d layers", len(config.RootFS.DiffIDs), len(manifest.Layers))
	}
	var out []unpack.LayerSource
	for i, desc := range manifest.Layers {
		p := blob(desc.Digest)
		out = append(out, unpack.LayerSource{
			Descriptor: desc,
			DiffID:     config.RootFS.DiffIDs[i],
			Open:       func() (io.ReadCloser, error) { return os.Open(p) },
		})
	}
	return out
}
