package unpack_test

import (
	"archive/tar"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/image/unpack"
	"github.com/cais-project/cais/internal/testgate"
	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
)

// TestUnpackSharesLayers unpacks two images with a common base: the second
// opens only its own top layer, and both see their own files.
func TestUnpackSharesLayers(t *testing.T) {
	testgate.Root(t)
	testgate.Overlay(t)
	ctx := context.Background()
	sn := newSnapshotter(t)
	opened := 0
	base := gzLayer(t, &opened, reg("etc/passwd", "root"), reg("etc/hosts", "localhost"))
	mid := gzLayer(t, &opened, reg("etc/.wh.hosts", ""), reg("usr/bin/tool", "v1"))
	topA := gzLayer(t, &opened, reg("a", "image a"))
	topB := gzLayer(t, &opened, reg("b", "image b"), reg("usr/bin/.wh..wh..opq", ""))

	chainA, err := unpack.Unpack(ctx, sn, []unpack.LayerSource{base, mid, topA})
	if err != nil {
		t.Fatalf("Unpack A: %v", err)
	}
	if want := identity.ChainID([]digest.Digest{base.DiffID, mid.DiffID, topA.DiffID}).String(); chainA != want {
		t.Errorf("chain ID of A = %s, want %s", chainA, want)
	}
	opened = 0
	chainB, err := unpack.Unpack(ctx, sn, []unpack.LayerSource{base, mid, topB})
	if err != nil {
		t.Fatalf("Unpack B: %v", err)
	}
	if opened != 1 {
		t.Errorf("Unpack B opened %d blobs, want 1 (base and mid are shared)", opened)
	}
	if got := snapshotNames(t, sn); len(got) != 4 {
		t.Errorf("snapshots = %v, want 4 committed", got)
	}
	opened = 0
	if again, err := unpack.Unpack(ctx, sn, []unpack.LayerSource{base, mid, topB}); err != nil || again != chainB || opened != 0 {
		t.Errorf("Unpack B again = %s, %v after %d opens; want %s with no open", again, err, opened, chainB)
	}

	got := map[string][]string{}
	for name, chain := range map[string]string{"A": chainA, "B": chainB} {
		t.Run(name, func(t *testing.T) {
			dir := mountView(t, sn, chain)
			for p := range describe(t, dir) {
				got[name] = append(got[name], p)
			}
		})
	}
	want := map[string][]string{
		"A": {"a", "etc", "etc/passwd", "usr", "usr/bin", "usr/bin/tool"},
		"B": {"b", "etc", "etc/passwd", "usr", "usr/bin"},
	}
	if diff := cmp.Diff(want, got, cmp.Transformer("sort", sorted)); diff != "" {
		t.Errorf("files seen (-want +got):\n%s", diff)
	}
}

// TestUnpackFailureKeepsNothing: a bad layer leaves no snapshot at all, not
// even of the good layer below it extracted in the same call.
func TestUnpackFailureKeepsNothing(t *testing.T) {
	testgate.Root(t)
	testgate.Overlay(t)
	base := gzLayer(t, nil, reg("base", "b"))
	tests := []struct {
		name    string
		layer   func() unpack.LayerSource
		wantErr string
	}{
		{"wrong diffID", func() unpack.LayerSource {
			l := gzLayer(t, nil, reg("x", "x"))
			l.DiffID = digest.FromString("something else")
			return l
		}, "the image config says"},
		{"wrong blob digest", func() unpack.LayerSource {
			l := gzLayer(t, nil, reg("x", "x"))
			l.Descriptor.Digest = digest.FromString("something else")
			return l
		}, "the descriptor says"},
		{"wrong blob size", func() unpack.LayerSource {
			l := gzLayer(t, nil, reg("x", "x"))
			l.Descriptor.Size++
			return l
		}, "the descriptor says"},
		{"escaping entry", func() unpack.LayerSource {
			return gzLayer(t, nil, reg("ok", "fine"), entry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "evil", Linkname: "/"}}, reg("evil/tmp/cais-unpack-escape-check", "x"))
		}, "through a symlink"},
		{"not a layer", func() unpack.LayerSource {
			l := gzLayer(t, nil, reg("x", "x"))
			l.Descriptor.MediaType = "application/vnd.oci.image.config.v1+json"
			return l
		}, "not a layer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			sn := newSnapshotter(t)
			_, err := unpack.Unpack(ctx, sn, []unpack.LayerSource{base, tc.layer()})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Unpack error = %v, want one containing %q", err, tc.wantErr)
			}
			if !errdefs.IsInvalidArgument(err) && !errdefs.IsNotImplemented(err) {
				t.Errorf("Unpack error %v is neither InvalidArgument nor NotImplemented", err)
			}
			got := snapshotNames(t, sn)
			var want []string
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("snapshots after a failed unpack (-want +got):\n%s", diff)
			}
			if tc.name == "escaping entry" {
				if _, err := os.Lstat("/tmp/cais-unpack-escape-check"); err == nil {
					t.Error("/tmp/cais-unpack-escape-check exists: the layer wrote outside its directory")
				}
			}
		})
	}
}

func sorted(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
