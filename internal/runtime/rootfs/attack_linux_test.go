package rootfs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/fixture"
	"github.com/cais-project/cais/internal/testgate"
)

// minimalMounts keeps the container small so each attack is the only thing
// that can go wrong.
func minimalMounts(s *specs.Spec) {
	s.Mounts = []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc"},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "mode=755"}},
	}
	s.Root.Readonly = false
	s.Linux.MaskedPaths, s.Linux.ReadonlyPaths = nil, nil
}

// hostDir returns an empty directory on the host that an attack tries to
// reach, and checks at the end that it is still empty.
func hostDir(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	t.Cleanup(func() {
		entries, err := os.ReadDir(d)
		if err != nil {
			t.Errorf("host dir %s: %v", d, err)
		}
		for _, e := range entries {
			t.Errorf("host dir %s was written through the container: holds %s", d, e.Name())
		}
	})
	return d
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.RemoveAll(link); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// A symlink in the image pointing at a host directory must be resolved
// inside the rootfs (CVE-2021-30465 class): the mount lands under the
// rootfs at the link's target, or fails, but never touches the host.
func TestSymlinkDestinationStaysInRootfs(t *testing.T) {
	testgate.Root(t)
	host := hostDir(t)
	name := fixture.Name(t)
	t.Cleanup(func() {
		if _, err := os.Lstat(filepath.Join("/tmp", name)); err == nil {
			t.Errorf("/tmp/%s was created on the host", name)
			os.RemoveAll(filepath.Join("/tmp", name))
		}
	})
	cases := []struct {
		name, link, target, dest string
		// wantAt is where the container sees the mount; "" for a refusal.
		wantAt string
	}{
		// The target exists on the host only: creating the mountpoint
		// would need to follow a dangling link; it is refused instead.
		{"absolute link to host dir", "evil", host, "/evil/x", ""},
		// The target exists in both: the rootfs's /tmp is used.
		{"absolute link to /tmp", "evil", "/tmp", "/evil/" + name, "/tmp/" + name},
		{"link climbing with ..", "up", "../../../../../../../../..", "/up" + host + "/y", host + "/y"},
		{"destination climbing with ..", "", "", "/../../../.." + host + "/z", host + "/z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bundle := fixture.Bundle(t, minimalMounts, func(s *specs.Spec) {
				s.Mounts = append(s.Mounts, specs.Mount{Destination: c.dest, Type: "tmpfs", Source: "tmpfs"})
			})
			if c.link != "" {
				symlink(t, c.target, filepath.Join(bundle, "rootfs", c.link))
			}
			r := runContainer(t, bundle, childConfig{Script: "cat /proc/self/mountinfo"})
			if c.wantAt == "" {
				if r.code != exitSetup || !strings.Contains(r.stderr, filepath.Clean(c.dest)) {
					t.Errorf("exit %d, stderr %q: want a setup failure naming %s", r.code, r.stderr, c.dest)
				}
				return
			}
			if r.code != 0 {
				t.Fatalf("container exited %d: %s", r.code, r.stderr)
			}
			if m, ok := parseMountinfo(t, r.stdout)[c.wantAt]; !ok || m.fstype != "tmpfs" {
				t.Errorf("no tmpfs at %s inside the container; mountinfo:\n%s", c.wantAt, r.stdout)
			}
			// On the host side, the mountpoint was made in the rootfs.
			if _, err := os.Stat(filepath.Join(bundle, "rootfs", c.wantAt)); err != nil {
				t.Errorf("mountpoint not created inside the rootfs: %v", err)
			}
		})
	}
}

// /proc, /sys and /dev (and what is under them) that are symlinks in the
// image are refused, even when the link stays inside the rootfs.
func TestProtectedSymlinksRefused(t *testing.T) {
	testgate.Root(t)
	host := hostDir(t)
	cases := []struct {
		name     string
		link     string // in the rootfs
		target   string
		mounts   []specs.Mount
		wantPath string
	}{
		{"proc to host", "proc", host, nil, "/proc"},
		{"proc inside rootfs", "proc", "/tmp", nil, "/proc"},
		{"sys", "sys", host, []specs.Mount{{Destination: "/sys", Type: "sysfs", Source: "sysfs"}}, "/sys"},
		{"dev", "dev", host, nil, "/dev"},
		{"under sys", "sys/fs", host, []specs.Mount{
			{Destination: "/sys/fs/cgroup", Type: "tmpfs", Source: "tmpfs"}}, "/sys/fs/cgroup"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bundle := fixture.Bundle(t, minimalMounts, func(s *specs.Spec) {
				s.Mounts = append(s.Mounts, c.mounts...)
			})
			link := filepath.Join(bundle, "rootfs", c.link)
			if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
				t.Fatal(err)
			}
			symlink(t, c.target, link)
			r := runContainer(t, bundle, childConfig{Script: "echo reached the shell"})
			if r.code != exitSetup {
				t.Fatalf("container exited %d (stdout %q, stderr %q), want setup failure %d", r.code, r.stdout, r.stderr, exitSetup)
			}
			if !strings.Contains(r.stderr, c.wantPath) || !strings.Contains(r.stderr, "symlink") {
				t.Errorf("error %q does not name %s as a symlink", r.stderr, c.wantPath)
			}
		})
	}
}

// proc must land on a real directory (CVE-2019-16884 class).
func TestProcOnFileRefused(t *testing.T) {
	testgate.Root(t)
	bundle := fixture.Bundle(t, minimalMounts)
	proc := filepath.Join(bundle, "rootfs", "proc")
	if err := os.Remove(proc); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(proc, []byte("not a dir"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runContainer(t, bundle, childConfig{Script: "echo reached the shell"})
	if r.code != exitSetup || !strings.Contains(r.stderr, "/proc must be a directory") {
		t.Errorf("exit %d, stderr %q; want a setup failure saying /proc must be a directory", r.code, r.stderr)
	}
}

// A /dev/null that is not the null device must not be bound over masked
// paths (CVE-2025-31133): here /dev is the image's own, where /dev/null is
// a link to a host-side file.
func TestMaskWithFakeDevNullRefused(t *testing.T) {
	testgate.Root(t)
	host := hostDir(t)
	for _, fake := range []string{"symlink", "regular file"} {
		t.Run(fake, func(t *testing.T) {
			bundle := fixture.Bundle(t, minimalMounts, func(s *specs.Spec) {
				s.Mounts[1] = specs.Mount{Destination: "/dev", Type: "bind", Source: "fakedev", Options: []string{"rbind"}}
				s.Linux.MaskedPaths = []string{"/proc/keys"}
			})
			fakedev := filepath.Join(bundle, "fakedev")
			if err := os.Mkdir(fakedev, 0o755); err != nil {
				t.Fatal(err)
			}
			null := filepath.Join(fakedev, "null")
			if fake == "symlink" {
				symlink(t, "/proc/sys/kernel/core_pattern", null)
			} else if err := os.WriteFile(null, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			r := runContainer(t, bundle, childConfig{Script: "echo reached the shell"})
			if r.code != exitSetup {
				t.Fatalf("container exited %d (stdout %q, stderr %q), want setup failure", r.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stderr, "/dev/null") || !strings.Contains(r.stderr, "maskedPaths[0]") {
				t.Errorf("error %q does not name /dev/null and the masked path", r.stderr)
			}
		})
	}
	_ = host
}
