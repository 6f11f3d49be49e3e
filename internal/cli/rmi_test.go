package cli_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/cais-project/cais/internal/fixture"
)

// TestTagRmiPrune checks Docker's untag rules and that removing images
// removes their blobs and layers from disk.
func TestTagRmiPrune(t *testing.T) {
	e := newEnv(t)
	reg := fixture.Registry(t)
	a := testImage(t, 256<<10, 2)
	ref := reg + "/cais/a:v1"
	push(t, ref, a)
	e.must("pull", "-q", ref)
	id := mustDigest(t, a.ConfigName).Hex
	blobs := filepath.Join(e.root, "content", "blobs", "sha256")
	snaps := filepath.Join(e.root, "snapshots", "snapshots")
	if n := entries(t, blobs); n != 4 { // manifest, config, 2 layers
		t.Fatalf("content has %d blobs after one pull, want 4", n)
	}
	if n := entries(t, snaps); n != 2 {
		t.Fatalf("%d snapshots after one pull, want 2", n)
	}

	e.must("tag", ref, reg+"/cais/a:v2")
	e.must("tag", id[:12], "other/repo:x")
	want := ref + " " + id[:12] + "\n" + reg + "/cais/a:v2 " + id[:12] + "\nother/repo:x " + id[:12] + "\n"
	if got := e.must("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"); got != want {
		t.Errorf("images after tags:\n%s\nwant:\n%s", got, want)
	}
	if out := e.must("rmi", reg+"/cais/a:v2"); out != "Untagged: "+reg+"/cais/a:v2\n" {
		t.Errorf("rmi of one of several tags printed %q", out)
	}
	r := e.run("rmi", id[:12])
	if r.code != 1 || !strings.Contains(r.stderr, "must be forced") {
		t.Errorf("rmi by ID of an image in two repositories: exit %d, stderr %q", r.code, r.stderr)
	}
	if n := entries(t, blobs); n != 4 {
		t.Errorf("a refused rmi changed the blobs: %d", n)
	}
	e.must("rmi", "other/repo:x")
	out := e.must("rmi", id[:12])
	for _, want := range []string{"Untagged: " + ref, "Untagged: " + reg + "/cais/a@" + mustDigest(t, a.Digest).String(), "Deleted: sha256:" + id} {
		if !hasLine(out, want) {
			t.Errorf("rmi by ID lacks %q:\n%s", want, out)
		}
	}
	if n := entries(t, blobs); n != 0 {
		t.Errorf("%d blobs left after the last image went", n)
	}
	if n := entries(t, snaps); n != 0 {
		t.Errorf("%d snapshots left after the last image went", n)
	}
	if got := e.must("images", "-q"); got != "" {
		t.Errorf("images after rmi: %q", got)
	}
	if r := e.run("rmi", ref); r.code != 1 || !strings.Contains(r.stderr, "no such image") {
		t.Errorf("rmi of a removed image: exit %d, stderr %q", r.code, r.stderr)
	}

	t.Run("prune", func(t *testing.T) {
		old := testImage(t, 128<<10, 1)
		push(t, ref, old)
		e.must("pull", "-q", ref)
		newer := testImage(t, 128<<10, 1)
		push(t, ref, newer)
		out := e.must("pull", ref)
		if !hasLine(out, "Status: Downloaded newer image for "+ref) {
			t.Errorf("pull of a moved tag:\n%s", out)
		}
		oldID := mustDigest(t, old.ConfigName).Hex[:12]
		if got := e.must("images", "--filter", "dangling=true", "--format", "{{.Repository}} {{.Tag}} {{.ID}}"); got != "<none> <none> "+oldID+"\n" {
			t.Errorf("dangling images = %q", got)
		}
		blobsBefore, snapsBefore := entries(t, blobs), entries(t, snaps)
		out = e.must("image", "prune", "-f")
		if !hasLine(out, "deleted: sha256:"+mustDigest(t, old.ConfigName).Hex) || !strings.Contains(out, "Total reclaimed space: ") {
			t.Errorf("prune:\n%s", out)
		}
		if b, s := entries(t, blobs), entries(t, snaps); b != blobsBefore-3 || s != snapsBefore-1 {
			t.Errorf("prune left %d blobs (was %d) and %d snapshots (was %d); want 3 blobs and 1 snapshot fewer", b, blobsBefore, s, snapsBefore)
		}
		if got := e.must("images", "-q"); got != mustDigest(t, newer.ConfigName).Hex[:12]+"\n" {
			t.Errorf("images after prune = %q", got)
		}
		if out := e.runIn("n\n", "image", "prune", "-a"); out.code != 0 || e.must("images", "-q") == "" {
			t.Errorf("prune -a answered no still removed images: %+v", out)
		}
		e.must("image", "prune", "-a", "-f")
		if got := e.must("images", "-q"); got != "" || entries(t, blobs) != 0 || entries(t, snaps) != 0 {
			t.Errorf("after prune -a: images %q, %d blobs, %d snapshots", got, entries(t, blobs), entries(t, snaps))
		}
	})
}
