package cli_test

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/cais-project/cais/internal/fixture"
)

// tarLayer is a layer of the given tar entries (a header with Size set
// gets that many bytes of body).
func tarLayer(t *testing.T, hdrs ...tar.Header) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range hdrs {
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			tw.Write(bytes.Repeat([]byte("x"), int(h.Size)))
		}
	}
	tw.Close()
	data := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func filesLayer(t *testing.T, dir string, n int) v1.Layer {
	var hdrs []tar.Header
	for i := range n {
		hdrs = append(hdrs, tar.Header{Typeflag: tar.TypeReg, Name: fmt.Sprintf("%s/f%03d", dir, i), Mode: 0o644, Size: int64(i)})
	}
	return tarLayer(t, hdrs...)
}

// TestPullBadLayerKeepsNothing: an image whose layers unpack in parallel,
// one of them escaping its root through a symlink while the others
// extract fine: the pull fails naming the entry, nothing is written
// outside, and images, the snapshots and their directories are exactly as
// before (no staging directory left).
func TestPullBadLayerKeepsNothing(t *testing.T) {
	e := newEnv(t)
	reg := fixture.Registry(t)
	push(t, reg+"/cais/ok:v1", testImage(t, 64<<10, 1))
	e.must("pull", "-q", reg+"/cais/ok:v1")
	beforeImages := e.must("images", "--no-trunc")
	beforeSnaps := dirNames(t, filepath.Join(e.root, "snapshots", "snapshots"))
	if len(beforeSnaps) != 1 {
		t.Fatalf("snapshot dirs after one one-layer pull: %v", beforeSnaps)
	}

	target := filepath.Join(t.TempDir(), "escaped")
	evil := tarLayer(t,
		tar.Header{Typeflag: tar.TypeReg, Name: "ok", Mode: 0o644, Size: 3},
		tar.Header{Typeflag: tar.TypeSymlink, Name: "evil", Linkname: "/"},
		tar.Header{Typeflag: tar.TypeReg, Name: "evil" + target, Mode: 0o644, Size: 1},
	)
	img, err := mutate.AppendLayers(empty.Image, filesLayer(t, "a", 200), filesLayer(t, "b", 200), evil, filesLayer(t, "c", 200))
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = "amd64", "linux"
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	push(t, reg+"/cais/evil:v1", img)

	r := e.run("pull", reg+"/cais/evil:v1")
	if r.code != 1 || !strings.Contains(r.stderr, "evil") || !strings.Contains(r.stderr, "through a symlink") {
		t.Errorf("pull of the bad image: exit %d, stderr %q; want 1 naming the entry and the symlink", r.code, r.stderr)
	}
	if _, err := os.Lstat(target); err == nil {
		t.Errorf("%s exists: a layer wrote outside its directory", target)
	}
	if after := e.must("images", "--no-trunc"); after != beforeImages {
		t.Errorf("images changed:\nbefore:\n%s\nafter:\n%s", beforeImages, after)
	}
	if after := dirNames(t, filepath.Join(e.root, "snapshots", "snapshots")); strings.Join(after, " ") != strings.Join(beforeSnaps, " ") {
		t.Errorf("snapshot dirs = %v, want %v as before the pull", after, beforeSnaps)
	}
	// The good image still runs from the store as it was.
	e.must("image", "inspect", reg+"/cais/ok:v1")
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// TestPullInterruptedDuringUnpackKeepsNothing: SIGINT while layers are
// being extracted stops the pull with an error, and leaves no image, no
// snapshot and no staging directory.
func TestPullInterruptedDuringUnpackKeepsNothing(t *testing.T) {
	e := newEnv(t)
	reg := fixture.Registry(t)
	img, err := mutate.AppendLayers(empty.Image, filesLayer(t, "a", 8000), filesLayer(t, "b", 8000), filesLayer(t, "c", 8000))
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = "amd64", "linux"
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	push(t, reg+"/cais/many:v1", img)

	cmd := e.command("", "pull", "-q", reg+"/cais/many:v1")
	errF := e.tempFile()
	cmd.Stderr = errF
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait for the first staging snapshot directory: extraction has begun.
	snaps := filepath.Join(e.root, "snapshots", "snapshots")
	deadline := time.Now().Add(time.Minute)
	for {
		if es, _ := os.ReadDir(snaps); len(es) > 0 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatal("no snapshot directory appeared within a minute")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	stderr := readFile(t, errF.Name())
	if err == nil {
		t.Fatalf("pull finished despite SIGINT during unpack (stderr %q)", stderr)
	}
	if !strings.Contains(stderr, "context canceled") {
		t.Errorf("stderr = %q, want the cancellation named", stderr)
	}
	if out := e.must("images", "-q"); out != "" {
		t.Errorf("images after an interrupted pull:\n%s", out)
	}
	if left := dirNames(t, snaps); len(left) != 0 {
		t.Errorf("snapshot dirs after an interrupted pull: %v", left)
	}
}
