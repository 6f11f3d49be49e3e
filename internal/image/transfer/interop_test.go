package transfer_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/fixture"
	"github.com/cais-project/cais/internal/image/registry"
	"github.com/cais-project/cais/internal/image/snapshots/overlay"
	"github.com/cais-project/cais/internal/image/snapshots/testsuite"
	"github.com/cais-project/cais/internal/image/transfer"
	"github.com/cais-project/cais/internal/image/unpack"
	"github.com/cais-project/cais/internal/testgate"
)

// podman runs Podman with its storage and state under one temp dir.
type podman struct{ dir, name string }

func newPodman(t *testing.T) *podman {
	t.Helper()
	testgate.Root(t)
	testgate.Binary(t, "/usr/bin/podman")
	testgate.Binary(t, "/usr/bin/runc")
	removeBlobInfoCache(t)
	name := fixture.Name(t)
	fixture.CheckLeaks(t, name)
	t.Cleanup(func() {
		dirs, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup/*/cais-test", name))
		for _, d := range dirs {
			rmdirTree(d)
		}
	})
	// Podman refuses a runroot longer than 50 characters.
	dir, err := os.MkdirTemp("", "cais-pm")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := &podman{dir: dir, name: name}
	t.Cleanup(func() {
		p.cmd("rm", "-a", "-f", "-t", "0").Run()
		p.cmd("rmi", "-a", "-f").Run()
	})
	return p
}

// removeBlobInfoCache removes /var/lib/containers after the test if it
// is absent now: Podman and skopeo keep a blob-info cache there whatever
// their --root.
func removeBlobInfoCache(t *testing.T) {
	if _, err := os.Stat("/var/lib/containers"); os.IsNotExist(err) {
		t.Cleanup(func() { os.RemoveAll("/var/lib/containers") })
	}
}

// rmdirTree removes the empty directories of the tree at dir, deepest
// first (cgroups Podman made for conmon and the container).
func rmdirTree(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() {
			rmdirTree(filepath.Join(dir, e.Name()))
		}
	}
	_ = unix.Rmdir(dir)
}

func (p *podman) cmd(args ...string) *exec.Cmd {
	base := []string{
		"--root", filepath.Join(p.dir, "root"), "--runroot", filepath.Join(p.dir, "runroot"),
		"--tmpdir", filepath.Join(p.dir, "tmp"), "--runtime", "/usr/bin/runc",
		"--cgroup-manager", "cgroupfs", "--events-backend", "file", "--storage-driver", "vfs",
		"--network-config-dir", filepath.Join(p.dir, "cni"),
	}
	c := exec.Command("/usr/bin/podman", append(base, args...)...)
	c.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+filepath.Join(p.dir, "xdg"), "XDG_CONFIG_HOME="+filepath.Join(p.dir, "config"))
	return c
}

func (p *podman) must(t *testing.T, args ...string) string {
	t.Helper()
	out, err := p.cmd(args...).CombinedOutput()
	if err != nil {
		t.Fatalf("podman %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// importBusybox imports the fixture's busybox rootfs as ref.
func importBusybox(t *testing.T, st transfer.Store, ref string) registry.Image {
	t.Helper()
	img, err := transfer.ImportDir(context.Background(), st, fixture.BusyboxRootfs(t), ref, transfer.ImportOptions{
		Changes: []string{`CMD ["/bin/sh"]`, "ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LABEL origin=cais-test"},
	})
	if err != nil {
		t.Fatalf("ImportDir: %v", err)
	}
	return img
}

// TestPodmanLoadsSave checks that Podman loads what Save writes, in both
// formats, under the names saved, and runs it.
func TestPodmanLoadsSave(t *testing.T) {
	for _, format := range []transfer.Format{transfer.FormatDockerArchive, transfer.FormatOCIArchive} {
		t.Run(format.String(), func(t *testing.T) {
			p := newPodman(t)
			st := newStore(t)
			ref := "localhost/cais-save/" + format.String() + ":v1"
			img := importBusybox(t, st.Store, ref)
			archive := filepath.Join(t.TempDir(), "img.tar")
			f, err := os.Create(archive)
			if err != nil {
				t.Fatal(err)
			}
			if err := transfer.Save(context.Background(), st.Store, []string{ref}, f, format); err != nil {
				t.Fatalf("Save: %v", err)
			}
			f.Close()
			p.must(t, "load", "-i", archive)
			var images []struct {
				ID    string
				Names []string
			}
			if err := json.Unmarshal([]byte(p.must(t, "images", "--format", "json")), &images); err != nil {
				t.Fatal(err)
			}
			if len(images) != 1 || !slices.Contains(images[0].Names, ref) {
				t.Fatalf("podman images: %+v, want one image named %s", images, ref)
			}
			if id := images[0].ID; !strings.HasPrefix(img.Manifest.Config.Digest.Encoded(), id) && id != img.Manifest.Config.Digest.Encoded() {
				t.Errorf("podman's image id %s is not the config digest %s", id, img.Manifest.Config.Digest)
			}
			out := p.must(t, "run", "--rm", "--network", "none", "--cgroup-parent", "/cais-test/"+p.name,
				"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096", ref, "sh", "-c", "echo $PATH; cat /etc/hostname >/dev/null; echo ok")
			if !strings.Contains(out, "/usr/sbin:/usr/bin:/sbin:/bin\nok") {
				t.Errorf("podman run printed %q, want the imported PATH and ok", out)
			}
		})
	}
}

// TestLoadPodmanSave loads what podman save writes, in both formats, and
// unpacks it to the tree that was imported into Podman.
func TestLoadPodmanSave(t *testing.T) {
	testgate.Overlay(t)
	p := newPodman(t)
	src := newStore(t)
	ref := "localhost/cais-load/bb:v1"
	importBusybox(t, src.Store, ref)
	in := filepath.Join(t.TempDir(), "in.tar")
	f, err := os.Create(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := transfer.Save(context.Background(), src.Store, []string{ref}, f, transfer.FormatOCIArchive); err != nil {
		t.Fatal(err)
	}
	f.Close()
	p.must(t, "load", "-i", in)
	want := describe(t, fixture.BusyboxRootfs(t))
	for _, format := range []string{"docker-archive", "oci-archive"} {
		t.Run(format, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.tar")
			p.must(t, "save", "--format", format, "-o", out, ref)
			st := newStore(t)
			f, err := os.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			names, err := transfer.Load(context.Background(), st.Store, f)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			t.Logf("podman save --format %s loaded as %v", format, names)
			if format == "docker-archive" && !slices.Contains(names, ref) {
				t.Errorf("loaded names %v, want %s among them", names, ref)
			}
			img, err := registry.Load(context.Background(), st.Store, names[0])
			if err != nil {
				t.Fatal(err)
			}
			if got := img.Config.Config.Cmd; !cmp.Equal(got, []string{"/bin/sh"}) {
				t.Errorf("loaded config Cmd %q", got)
			}
			got := describe(t, unpackImage(t, st.Store, img))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("unpacked tree differs from the imported one (-imported +loaded):\n%s", diff)
			}
		})
	}
}

// unpackImage unpacks img into a fresh overlay snapshotter and mounts a
// view of it; it returns the mounted directory.
func unpackImage(t *testing.T, st transfer.Store, img registry.Image) string {
	t.Helper()
	ctx := context.Background()
	sn, err := overlay.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sn.Close() })
	var layers []unpack.LayerSource
	for i, l := range img.Layers {
		layers = append(layers, unpack.LayerSource{
			Descriptor: l,
			DiffID:     img.Config.RootFS.DiffIDs[i],
			Open: func() (io.ReadCloser, error) {
				ra, err := st.Content.ReaderAt(ctx, l)
				if err != nil {
					return nil, err
				}
				return struct {
					io.Reader
					io.Closer
				}{io.NewSectionReader(ra, 0, ra.Size()), ra}, nil
			},
		})
	}
	chain, err := unpack.Unpack(ctx, sn, layers)
	if err != nil {
		t.Fatalf("Unpack: %v", err)
	}
	ms, err := sn.View(ctx, "view", chain)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	testsuite.Mount(t, ms, dir)
	return dir
}

// describe lists every entry under root: type and mode, owner, content
// hash or link target, device numbers, mtime for non-directories, and the
// other names of a hard-linked file. (Not st_nlink: overlayfs reports the
// lower inode's count, which still includes a link a whiteout hides.)
func describe(t testing.TB, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	inodes := map[uint64][]string{}
	defer func() {
		for _, names := range inodes {
			if len(names) > 1 {
				for _, n := range names {
					out[n] += " links=" + strings.Join(names, ",")
				}
			}
		}
	}()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		s := fmt.Sprintf("mode=%o uid=%d gid=%d", st.Mode, st.Uid, st.Gid)
		switch st.Mode & syscall.S_IFMT {
		case syscall.S_IFREG:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			s += fmt.Sprintf(" sha=%x", sha256.Sum256(b))
			inodes[st.Ino] = append(inodes[st.Ino], rel)
		case syscall.S_IFLNK:
			l, _ := os.Readlink(p)
			s += " -> " + l
		case syscall.S_IFCHR, syscall.S_IFBLK:
			s += fmt.Sprintf(" dev=%d:%d", unix.Major(st.Rdev), unix.Minor(st.Rdev))
		}
		if st.Mode&syscall.S_IFMT != syscall.S_IFDIR {
			s += fmt.Sprintf(" mtime=%d", st.Mtim.Sec)
		}
		out[rel] = s
		return nil
	})
	if err != nil {
		t.Fatalf("walking %s: %v", root, err)
	}
	return out
}

// TestImportPushInspect pushes an imported image to a registry and reads
// it back with skopeo, which must see the config Import wrote.
func TestImportPushInspect(t *testing.T) {
	testgate.Root(t)
	testgate.Binary(t, "/usr/bin/skopeo")
	removeBlobInfoCache(t)
	st := newStore(t)
	addr := fixture.Registry(t)
	ref := addr + "/cais/imported:v1"
	img := importBusybox(t, st.Store, ref)
	if err := registry.Push(context.Background(), st.Store, ref); err != nil {
		t.Fatalf("Push: %v", err)
	}
	out, err := exec.Command("skopeo", "inspect", "--tls-verify=false", "--config", "docker://"+ref).CombinedOutput()
	if err != nil {
		t.Fatalf("skopeo inspect --config: %v\n%s", err, out)
	}
	var config ocispec.Image
	if err := json.Unmarshal(out, &config); err != nil {
		t.Fatalf("skopeo's config: %v\n%s", err, out)
	}
	if diff := cmp.Diff(img.Config, config); diff != "" {
		t.Errorf("config skopeo read (-imported +skopeo):\n%s", diff)
	}
	out, err = exec.Command("skopeo", "inspect", "--tls-verify=false", "docker://"+ref).CombinedOutput()
	if err != nil {
		t.Fatalf("skopeo inspect: %v\n%s", err, out)
	}
	var info struct {
		Digest digest.Digest
		Layers []digest.Digest
		Labels map[string]string
	}
	if err := json.Unmarshal(out, &info); err != nil {
		t.Fatal(err)
	}
	want := struct {
		Digest digest.Digest
		Layers []digest.Digest
		Labels map[string]string
	}{img.ManifestDescriptor.Digest, []digest.Digest{img.Layers[0].Digest}, map[string]string{"origin": "cais-test"}}
	if diff := cmp.Diff(want, info); diff != "" {
		t.Errorf("skopeo inspect (-want +got):\n%s", diff)
	}
}
