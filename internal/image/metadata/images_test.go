package metadata

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cais-project/cais/internal/errdefs"
)

func target(s string) ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromString(s), Size: int64(len(s))}
}

func open(t *testing.T, root string) *Store {
	t.Helper()
	s, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var ignoreTimes = cmpopts.IgnoreFields(Image{}, "CreatedAt", "UpdatedAt")

func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s := open(t, root)
	a := Image{Name: "example.com/a:1", Target: target("a"), Labels: map[string]string{"k": "v"}}
	b := Image{Name: "example.com/b:1", Target: target("b")}
	for _, img := range []Image{b, a} {
		got, err := s.Create(ctx, img)
		if err != nil {
			t.Fatalf("Create %s: %v", img.Name, err)
		}
		if got.CreatedAt.IsZero() || !got.UpdatedAt.Equal(got.CreatedAt) {
			t.Errorf("Create %s times = %v, %v", img.Name, got.CreatedAt, got.UpdatedAt)
		}
	}
	if _, err := s.Create(ctx, a); !errdefs.IsAlreadyExists(err) {
		t.Errorf("second Create: %v, want AlreadyExists", err)
	}
	got, err := s.Get(ctx, a.Name)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, got, ignoreTimes); diff != "" {
		t.Errorf("Get (-want +got):\n%s", diff)
	}
	list, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Image{a, b}, list, ignoreTimes); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
	onlyB, _ := s.List(ctx, func(i Image) bool { return strings.Contains(i.Name, "/b:") })
	if diff := cmp.Diff([]Image{b}, onlyB, ignoreTimes); diff != "" {
		t.Errorf("filtered List (-want +got):\n%s", diff)
	}

	// Update of labels only keeps the target.
	upd, err := s.Update(ctx, Image{Name: a.Name, Target: target("ignored"), Labels: map[string]string{"k": "w"}}, FieldLabels)
	if err != nil {
		t.Fatal(err)
	}
	want := a
	want.Labels = map[string]string{"k": "w"}
	if diff := cmp.Diff(want, upd, ignoreTimes); diff != "" {
		t.Errorf("Update labels (-want +got):\n%s", diff)
	}
	if _, err := s.Update(ctx, Image{Name: "absent", Target: target("x")}); !errdefs.IsNotFound(err) {
		t.Errorf("Update of an absent record: %v, want NotFound", err)
	}
	if _, err := s.Update(ctx, a, "bogus"); !errdefs.IsInvalidArgument(err) {
		t.Errorf("Update of an unknown field: %v, want InvalidArgument", err)
	}

	// Records survive closing and reopening the database.
	s.Close()
	s = open(t, root)
	got, err = s.Get(ctx, a.Name)
	if err != nil || got.Labels["k"] != "w" {
		t.Errorf("Get after reopen = %+v, %v", got, err)
	}

	if err := s.Delete(ctx, a.Name); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, a.Name); !errdefs.IsNotFound(err) {
		t.Errorf("Get after Delete: %v, want NotFound", err)
	}
	if err := s.Delete(ctx, a.Name); !errdefs.IsNotFound(err) {
		t.Errorf("second Delete: %v, want NotFound", err)
	}
}

func TestCreateValidates(t *testing.T) {
	s := open(t, t.TempDir())
	cases := []struct {
		name string
		img  Image
	}{
		{"no name", Image{Target: target("a")}},
		{"bad digest", Image{Name: "n", Target: ocispec.Descriptor{MediaType: "x", Digest: "sha256:zz", Size: 1}}},
		{"no media type", Image{Name: "n", Target: ocispec.Descriptor{Digest: digest.FromString("a"), Size: 1}}},
		{"empty label key", Image{Name: "n", Target: target("a"), Labels: map[string]string{"": "v"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := s.Create(context.Background(), c.img); !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Errorf("Create: %v, want InvalidArgument", err)
			}
		})
	}
	if l, _ := s.List(context.Background()); len(l) != 0 {
		t.Errorf("records after invalid creates: %+v", l)
	}
}

func TestGCRoots(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	for _, img := range []Image{
		{Name: "a:1", Target: target("x")},
		{Name: "a:2", Target: target("x")},
		{Name: "b:1", Target: target("y")},
	} {
		if _, err := s.Create(ctx, img); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.GCRoots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []digest.Digest{digest.FromString("x"), digest.FromString("y")}
	if want[0] > want[1] {
		want[0], want[1] = want[1], want[0]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GCRoots (-want +got):\n%s", diff)
	}
}
