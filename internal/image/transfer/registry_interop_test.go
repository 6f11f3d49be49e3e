package transfer_test

import (
	"archive/tar"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cais-project/cais/internal/fixture"
	"github.com/cais-project/cais/internal/image/registry"
	"github.com/cais-project/cais/internal/image/transfer"
	"github.com/cais-project/cais/internal/testgate"
)

// umociImage builds an OCI layout with umoci in dir/L, tagged "t": three
// layers with owners, setuid, symlinks, hard links, a fifo, deletions
// (whiteouts) and a hand-written layer with an opaque directory; and
// unpacks it with umoci into dir/ref for comparison.
const umociImage = `
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
ln $r/etc/passwd $r/etc/passwd-hard
ln -s ../etc/passwd $r/keep/link; ln -s /nowhere $r/keep/dangling
chown -R 1000:1001 $r/keep; chown -h 7:8 $r/keep/link
chmod 1777 $r/keep; mkfifo $r/fifo
umoci repack --image L:t B
rm -rf B
umoci unpack --image L:t B
rm $r/etc/hosts; rm -rf $r/keep/dangling
echo new > $r/added; mkdir $r/newdir; chmod 700 $r/newdir
umoci repack --image L:t B
rm -rf B
umoci raw add-layer --image L:t "$2"
umoci unpack --image L:t ref
`

// TestUmociThroughRegistry pushes an image umoci built to a registry with
// skopeo, pulls it with registry.Pull, unpacks it, and compares the tree
// file by file with umoci's own unpack of the same layout.
func TestUmociThroughRegistry(t *testing.T) {
	testgate.Root(t)
	testgate.Overlay(t)
	testgate.Binary(t, "/usr/bin/umoci")
	testgate.Binary(t, "/usr/bin/skopeo")
	removeBlobInfoCache(t)
	work := t.TempDir()
	opq := tarOf(t,
		entry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: "opq/", Mode: 0o750}},
		file("opq/.wh..wh..opq", ""),
		file("opq/fresh", "fresh"),
		file("usr/bin/.wh.tool-hard", ""),
	)
	opqTar := filepath.Join(work, "opq.tar")
	if err := os.WriteFile(opqTar, opq, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("sh", "-c", umociImage, "sh", work, opqTar).CombinedOutput(); err != nil {
		t.Fatalf("building the image with umoci: %v\n%s", err, out)
	}
	addr := fixture.Registry(t)
	ref := addr + "/umoci/layered:t"
	skopeo(t, "copy", "--dest-tls-verify=false", "oci:"+filepath.Join(work, "L")+":t", "docker://"+ref)

	st := newStore(t)
	img, err := registry.Pull(context.Background(), st.Store, ref)
	if err != nil {
		t.Fatalf("Pull: %v", err)
	}
	if len(img.Layers) != 3 {
		t.Fatalf("pulled %d layers, want 3", len(img.Layers))
	}
	ours := describe(t, unpackImage(t, st.Store, img))
	theirs := describe(t, filepath.Join(work, "ref", "rootfs"))
	if diff := cmp.Diff(theirs, ours); diff != "" {
		t.Errorf("trees differ (-umoci +cais):\n%s", diff)
	}
	if !strings.Contains(ours["etc/passwd"], "links=etc/passwd,etc/passwd-hard") {
		t.Errorf("etc/passwd is %q, want it hard-linked to etc/passwd-hard", ours["etc/passwd"])
	}
	for _, gone := range []string{"etc/hosts", "keep/dangling", "opq/old", "opq/sub", "usr/bin/tool-hard"} {
		if _, ok := ours[gone]; ok {
			t.Errorf("%s is visible, but a later layer deleted it", gone)
		}
	}
	for _, kept := range []string{"opq/fresh", "keep/link", "usr/bin/tool", "etc/passwd-hard", "fifo", "added", "newdir"} {
		if _, ok := ours[kept]; !ok {
			t.Errorf("%s is missing", kept)
		}
	}
}

func skopeo(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("/usr/bin/skopeo", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("skopeo %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// TestMultiPlatformThroughRegistry pushes a two-platform index with
// skopeo copy --all (from an OCI layout built from two imports) and pulls
// each platform.
func TestMultiPlatformThroughRegistry(t *testing.T) {
	testgate.Root(t)
	testgate.Binary(t, "/usr/bin/skopeo")
	removeBlobInfoCache(t)
	ctx := context.Background()
	src := newStore(t)
	var manifests []ocispec.Descriptor
	for _, arch := range []string{"amd64", "arm64"} {
		img, err := transfer.Import(ctx, src.Store, bytesReader(tarOf(t, file("arch", arch))), "example.com/multi:"+arch,
			transfer.ImportOptions{Platform: ocispec.Platform{OS: "linux", Architecture: arch}})
		if err != nil {
			t.Fatal(err)
		}
		d := img.ManifestDescriptor
		d.Platform = &img.Platform
		manifests = append(manifests, d)
	}
	// An OCI layout: Save's OCI archive of both, unpacked, with index.json
	// replaced by one naming a two-platform index blob.
	layout := t.TempDir()
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(transfer.Save(ctx, src.Store, []string{"example.com/multi:amd64", "example.com/multi:arm64"}, pw, transfer.FormatOCIArchive))
	}()
	if out, err := runWithStdin(pr, "tar", "-x", "-C", layout); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	idx := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: manifests}
	idx.SchemaVersion = 2
	ib, _ := json.Marshal(idx)
	idesc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageIndex, Digest: digestOf(ib), Size: int64(len(ib)),
		Annotations: map[string]string{ocispec.AnnotationRefName: "multi"}}
	writeBlobFile(t, layout, idesc, ib)
	top := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{idesc}}
	top.SchemaVersion = 2
	tb, _ := json.Marshal(top)
	if err := os.WriteFile(filepath.Join(layout, "index.json"), tb, 0o644); err != nil {
		t.Fatal(err)
	}
	addr := fixture.Registry(t)
	ref := addr + "/multi/img:1"
	skopeo(t, "copy", "--all", "--dest-tls-verify=false", "oci:"+layout+":multi", "docker://"+ref)

	for _, arch := range []string{"arm64", "amd64"} {
		t.Run(arch, func(t *testing.T) {
			st := newStore(t)
			img, err := registry.Pull(ctx, st.Store, ref, registry.WithPlatform(ocispec.Platform{OS: "linux", Architecture: arch}))
			if err != nil {
				t.Fatalf("Pull: %v", err)
			}
			if img.Record.Target.MediaType != ocispec.MediaTypeImageIndex || img.Platform.Architecture != arch {
				t.Errorf("pulled %s (%s) for %s, want the index's %s image", img.ManifestDescriptor.Digest, img.Platform.Architecture, arch, arch)
			}
			if len(img.Missing) != 0 || !img.Runnable {
				t.Errorf("image not runnable, missing %v", img.Missing)
			}
		})
	}
}
