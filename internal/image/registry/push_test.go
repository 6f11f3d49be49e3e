package registry

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/fixture"
	"github.com/cais-project/cais/internal/image/content"
)

func remoteWriteIndex(ref string, idx v1.ImageIndex) error {
	r, err := name.ParseReference(ref)
	if err != nil {
		return err
	}
	return remote.WriteIndex(r, idx)
}

// retag records img under a new name, as `cais tag` will.
func retag(t *testing.T, st Store, img Image, ref string) {
	t.Helper()
	r, err := ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	rec := img.Record
	rec.Name = RecordName(r)
	if _, err := st.Images.Create(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
}

func TestPushThenPullBackEquals(t *testing.T) {
	reg := fixture.Registry(t)
	img, _ := random.Image(8192, 3)
	write(t, reg+"/test/src:v1", img)
	px := newProxy(t, reg)
	ctx := context.Background()
	st := newStore(t)
	pulled, err := Pull(ctx, st, px.addr+"/test/src:v1")
	if err != nil {
		t.Fatal(err)
	}

	// Same registry, other repository: blobs are mounted, not uploaded.
	retag(t, st, pulled, px.addr+"/test/dst:v1")
	px.reset(nil)
	rec := &recorder{}
	if err := Push(ctx, st, px.addr+"/test/dst:v1", WithProgress(rec)); err != nil {
		t.Fatalf("Push: %v", err)
	}
	if n := px.count("POST mount"); n != 4 {
		t.Errorf("mount requests = %d, want 4 (config + 3 layers)", n)
	}
	if n := px.count("PATCH uploads") + px.count("PUT uploads"); n != 0 {
		t.Errorf("blob uploads = %d, want 0 (all mounted)", n)
	}

	// Another store pulls it back: identical manifest, config and layers.
	st2 := newStore(t)
	back, err := Pull(ctx, st2, px.addr+"/test/dst:v1")
	if err != nil {
		t.Fatalf("pull back: %v", err)
	}
	if diff := cmp.Diff(pulled.Manifest, back.Manifest); diff != "" {
		t.Errorf("manifest pulled back (-pushed +got):\n%s", diff)
	}
	if back.ManifestDescriptor.Digest != pulled.ManifestDescriptor.Digest {
		t.Errorf("digest pulled back = %s, want %s", back.ManifestDescriptor.Digest, pulled.ManifestDescriptor.Digest)
	}
}

func TestPushUploadsToANewRegistryRepository(t *testing.T) {
	reg := fixture.Registry(t)
	img, _ := random.Image(8192, 2)
	write(t, reg+"/test/orig:v1", img)
	ctx := context.Background()
	st := newStore(t)
	pulled, err := Pull(ctx, st, reg+"/test/orig:v1")
	if err != nil {
		t.Fatal(err)
	}
	// A second registry has nothing to mount from: every blob is uploaded.
	reg2 := fixture.Registry(t)
	retag(t, st, pulled, reg2+"/test/copy:v1")
	rec := &recorder{}
	if err := Push(ctx, st, reg2+"/test/copy:v1", WithProgress(rec)); err != nil {
		t.Fatalf("Push: %v", err)
	}
	for _, l := range pulled.Layers {
		if s := rec.final()[l.Digest]; s != StateDone {
			t.Errorf("push progress for %s ended %q, want done", l.Digest, s)
		}
	}
	st2 := newStore(t)
	back, err := Pull(ctx, st2, reg2+"/test/copy:v1")
	if err != nil {
		t.Fatalf("pull back: %v", err)
	}
	if back.ManifestDescriptor.Digest != pulled.ManifestDescriptor.Digest {
		t.Errorf("digest pulled back = %s, want %s", back.ManifestDescriptor.Digest, pulled.ManifestDescriptor.Digest)
	}
	for _, l := range back.Layers {
		if _, err := content.ReadBlob(ctx, st2.Content, l, 1<<30); err != nil {
			t.Errorf("layer %s pulled back: %v", l.Digest, err)
		}
	}
}

func TestPushUnknownImage(t *testing.T) {
	st := newStore(t)
	if err := Push(context.Background(), st, "127.0.0.1:1/none:v1"); !errdefs.IsNotFound(err) {
		t.Errorf("Push of an unrecorded image: %v, want NotFound", err)
	}
}
