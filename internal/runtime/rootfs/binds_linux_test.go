package rootfs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/fixture"
	"github.com/cais-project/cais/internal/testgate"
)

// Bind mounts: read-only top vs recursive read-only, flags, file binds and
// propagation, as the container sees them.
func TestBindMounts(t *testing.T) {
	testgate.Root(t)
	src := t.TempDir()
	sub := filepath.Join(src, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	// A submount in the source, in a private namespace of our own would
	// be cleaner; the test process mounts it and removes it at cleanup.
	if err := unix.Mount("tmpfs", sub, "tmpfs", 0, "size=64k"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(sub, unix.MNT_DETACH) })
	file := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(file, []byte("127.0.0.1 cais\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bundle := fixture.Bundle(t, minimalMounts, func(s *specs.Spec) {
		s.Mounts = append(s.Mounts,
			specs.Mount{Destination: "/ro", Type: "bind", Source: src, Options: []string{"rbind", "ro", "nosuid"}},
			specs.Mount{Destination: "/rro", Type: "bind", Source: src, Options: []string{"rbind", "rro", "rnodev"}},
			specs.Mount{Destination: "/plain", Source: src, Type: "none", Options: []string{"bind", "noexec", "rshared"}},
			specs.Mount{Destination: "/etc/cais-hosts", Type: "bind", Source: file, Options: []string{"bind", "ro"}},
		)
	})
	script := `
echo "== mountinfo"; cat /proc/self/mountinfo
echo "== probes"
for f in /ro/x /ro/sub/x /rro/x /rro/sub/x /plain/x; do if touch $f 2>/dev/null; then echo "$f yes"; else echo "$f no"; fi; done
test -d /plain/sub && ls -A /plain/sub | wc -l
cat /etc/cais-hosts
echo "== end"`
	r := runContainer(t, bundle, childConfig{Script: script})
	if r.code != 0 {
		t.Fatalf("container exited %d: %s", r.code, r.stderr)
	}
	mounts := parseMountinfo(t, section(r.stdout, "mountinfo"))
	checks := []struct {
		point string
		opts  []string
		not   []string
	}{
		{"/ro", []string{"ro", "nosuid"}, nil},
		// ro is not recursive: the submount stays writable.
		{"/ro/sub", []string{"rw"}, []string{"nosuid"}},
		{"/rro", []string{"ro", "nodev"}, nil},
		{"/rro/sub", []string{"ro", "nodev"}, nil},
		{"/plain", []string{"rw", "noexec"}, nil},
		{"/etc/cais-hosts", []string{"ro"}, nil},
	}
	for _, c := range checks {
		m, ok := mounts[c.point]
		if !ok {
			t.Errorf("no mount at %s; mountinfo:\n%s", c.point, section(r.stdout, "mountinfo"))
			continue
		}
		if !hasOpts(m.opts, c.opts...) {
			t.Errorf("%s: options %s, want %v", c.point, m.opts, c.opts)
		}
		for _, n := range c.not {
			if hasOpts(m.opts, n) {
				t.Errorf("%s: options %s, must not have %s", c.point, m.opts, n)
			}
		}
	}
	if _, ok := mounts["/plain/sub"]; ok {
		t.Error("a plain bind (not rbind) brought the submount /plain/sub along")
	}
	if m := mounts["/plain"]; !strings.Contains(m.optional, "shared:") {
		t.Errorf("/plain propagation %q, want shared", m.optional)
	}
	wantProbes := "/ro/x no\n/ro/sub/x yes\n/rro/x no\n/rro/sub/x no\n/plain/x yes\n0\n127.0.0.1 cais\n"
	if got := section(r.stdout, "probes"); got != wantProbes {
		t.Errorf("probes:\n%s\nwant:\n%s", got, wantProbes)
	}
	for _, f := range []string{"x", "sub/x"} {
		os.Remove(filepath.Join(src, f))
	}
}

// With NoPivot, the rootfs is moved onto / and chrooted into.
func TestNoPivot(t *testing.T) {
	testgate.Root(t)
	bundle := fixture.Bundle(t, minimalMounts)
	if err := os.WriteFile(filepath.Join(bundle, "rootfs", "marker"), []byte("inside\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runContainer(t, bundle, childConfig{Options: Options{NoPivot: true}, Script: "cat /marker; stat -c %F /dev/null"})
	if r.code != 0 {
		t.Fatalf("container exited %d: %s", r.code, r.stderr)
	}
	if want := "inside\ncharacter special file\n"; r.stdout != want {
		t.Errorf("output %q, want %q", r.stdout, want)
	}
}

// BindConsole puts the pty slave, by descriptor, at /dev/console.
func TestBindConsole(t *testing.T) {
	testgate.Root(t)
	bundle := fixture.Bundle(t, minimalMounts, func(s *specs.Spec) {
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/dev/pts", Type: "devpts", Source: "devpts",
			Options: []string{"newinstance", "ptmxmode=0666", "mode=0620"}})
	})
	r := runContainer(t, bundle, childConfig{Console: true,
		Script: "stat -c '%F %t' /dev/console; grep -c ' /dev/console ' /proc/self/mountinfo"})
	if r.code != 0 {
		t.Fatalf("container exited %d: %s", r.code, r.stderr)
	}
	// Unix98 pty slaves have majors 136-143 (hex 88-8f).
	if !strings.HasPrefix(r.stdout, "character special file 8") || !strings.HasSuffix(r.stdout, "\n1\n") {
		t.Errorf("output %q, want /dev/console a pty slave (major 0x88..0x8f) mounted once", r.stdout)
	}
}

// Without a cgroup namespace, the container's own cgroup directories are
// bound under a tmpfs (v1) so it sees no other cgroup.
func TestCgroupV1Bind(t *testing.T) {
	testgate.Root(t)
	testgate.Cgroup1(t)
	name := fixture.Name(t)
	fixture.CheckLeaks(t, name)
	dir := filepath.Join("/sys/fs/cgroup/memory", name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Skipf("cannot create a memory cgroup: %v", err)
	}
	t.Cleanup(func() { os.Remove(dir) })
	bundle := fixture.Bundle(t, minimalMounts, func(s *specs.Spec) {
		s.Mounts = append(s.Mounts,
			specs.Mount{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"ro"}},
			specs.Mount{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"ro", "nosuid"}})
		s.Linux.Namespaces = nil
	})
	r := runContainer(t, bundle, childConfig{
		Options: Options{CgroupPaths: map[string]string{"memory": dir}},
		Script:  "ls /sys/fs/cgroup; test -f /sys/fs/cgroup/memory/memory.limit_in_bytes && echo limit; ls -d /sys/fs/cgroup/memory/*/ 2>/dev/null | wc -l; grep ' /sys/fs/cgroup' /proc/self/mountinfo | cut -d' ' -f5-6"})
	if r.code != 0 {
		t.Fatalf("container exited %d: %s", r.code, r.stderr)
	}
	// No sub-cgroups: the container sees its own cgroup, not the host's
	// memory root.
	want := "memory\nlimit\n0\n/sys/fs/cgroup ro,nosuid,relatime\n/sys/fs/cgroup/memory ro,nosuid,relatime\n"
	if r.stdout != want {
		t.Errorf("output:\n%s\nwant:\n%s", r.stdout, want)
	}
}
