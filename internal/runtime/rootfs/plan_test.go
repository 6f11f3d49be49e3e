package rootfs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/errdefs"
)

// bundleDir returns a bundle with an empty rootfs/ directory.
func bundleDir(t *testing.T) string {
	t.Helper()
	b := t.TempDir()
	if err := os.Mkdir(filepath.Join(b, "rootfs"), 0o755); err != nil {
		t.Fatal(err)
	}
	return b
}

func specWith(mounts ...specs.Mount) *specs.Spec {
	return &specs.Spec{Root: &specs.Root{Path: "rootfs"}, Mounts: mounts, Linux: &specs.Linux{}}
}

func TestParseOptions(t *testing.T) {
	cases := []struct {
		name string
		opts []string
		want parsedOptions
	}{
		{"empty", nil, parsedOptions{}},
		{"flags", []string{"ro", "nosuid", "nodev", "noexec", "nodiratime", "nosymfollow"},
			parsedOptions{attrs: AttrChange{Set: AttrReadOnly | AttrNoSuid | AttrNoDev | AttrNoExec | AttrNoDiratime | AttrNoSymfollow}}},
		{"clears", []string{"rw", "suid", "dev", "exec"},
			parsedOptions{attrs: AttrChange{Clear: AttrReadOnly | AttrNoSuid | AttrNoDev | AttrNoExec}}},
		{"later wins", []string{"ro", "rw", "nosuid", "suid", "nosuid"},
			parsedOptions{attrs: AttrChange{Set: AttrNoSuid, Clear: AttrReadOnly}}},
		{"atime modes", []string{"noatime"}, parsedOptions{attrs: AttrChange{Atime: AtimeNone}}},
		{"strictatime", []string{"relatime", "strictatime"}, parsedOptions{attrs: AttrChange{Atime: AtimeStrict}}},
		{"atime undoes noatime", []string{"noatime", "atime"}, parsedOptions{attrs: AttrChange{Atime: AtimeRelative}}},
		{"nostrictatime leaves noatime", []string{"noatime", "nostrictatime"}, parsedOptions{attrs: AttrChange{Atime: AtimeNone}}},
		{"bind", []string{"bind"}, parsedOptions{bind: true}},
		{"rbind", []string{"rbind", "ro"}, parsedOptions{bind: true, rbind: true, attrs: AttrChange{Set: AttrReadOnly}}},
		{"recursive attrs", []string{"rro", "rnosuid", "rnodev", "rnoexec", "rnoatime"},
			parsedOptions{recursive: AttrChange{Set: AttrReadOnly | AttrNoSuid | AttrNoDev | AttrNoExec, Atime: AtimeNone}}},
		{"recursive clears", []string{"rrw", "rsuid", "rexec", "rdev", "rdiratime", "rsymfollow"},
			parsedOptions{recursive: AttrChange{Clear: AttrReadOnly | AttrNoSuid | AttrNoExec | AttrNoDev | AttrNoDiratime | AttrNoSymfollow}}},
		{"recursive and top", []string{"rro", "nosuid", "rstrictatime"},
			parsedOptions{attrs: AttrChange{Set: AttrNoSuid}, recursive: AttrChange{Set: AttrReadOnly, Atime: AtimeStrict}}},
		{"propagation in order", []string{"rprivate", "shared", "rslave", "unbindable", "runbindable", "slave", "private", "rshared"},
			parsedOptions{propagations: []PropagationChange{
				{PropagationPrivate, true}, {PropagationShared, false}, {PropagationSlave, true},
				{PropagationUnbindable, false}, {PropagationUnbindable, true}, {PropagationSlave, false},
				{PropagationPrivate, false}, {PropagationShared, true}}}},
		{"data", []string{"mode=755", "size=65536k", "newinstance", "nosuid"},
			parsedOptions{attrs: AttrChange{Set: AttrNoSuid}, data: []string{"mode=755", "size=65536k", "newinstance"},
				unknown: []string{"mode=755", "size=65536k", "newinstance"}}},
		{"superblock flags are data", []string{"sync", "dirsync", "acl", "async", "defaults"},
			parsedOptions{data: []string{"sync", "dirsync", "posixacl"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := parseOptions(c.opts)
			if diff := cmp.Diff(c.want, got, cmp.AllowUnexported(parsedOptions{})); diff != "" {
				t.Errorf("parseOptions(%q) (-want +got):\n%s", c.opts, diff)
			}
		})
	}
}

func TestNewPlanMounts(t *testing.T) {
	b := bundleDir(t)
	spec := specWith(
		specs.Mount{Destination: "/proc", Type: "proc", Source: "proc"},
		specs.Mount{Destination: "/dev/../dev/pts/", Type: "devpts", Source: "devpts",
			Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
		specs.Mount{Destination: "/data", Type: "bind", Source: "vol", Options: []string{"rbind", "ro", "rnosuid", "rprivate"}},
		specs.Mount{Destination: "/etc/hosts", Type: "none", Source: "/etc/hosts", Options: []string{"bind", "nodev"}},
		specs.Mount{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=1m", "strictatime", "sync"}},
		specs.Mount{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"ro", "fooo"}},
	)
	p, err := NewPlan(spec, b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Mount{
		{Index: 0, Kind: KindFilesystem, Destination: "/proc", Type: "proc", Source: "proc", Protected: true},
		{Index: 1, Kind: KindFilesystem, Destination: "/dev/pts", Type: "devpts", Source: "devpts", Protected: true,
			Attrs: AttrChange{Set: AttrNoSuid | AttrNoExec}, Data: []string{"newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
		{Index: 2, Kind: KindBind, Destination: "/data", Source: filepath.Join(b, "vol"), Recursive: true,
			Attrs: AttrChange{Set: AttrReadOnly}, RecursiveAttrs: AttrChange{Set: AttrNoSuid},
			Propagation: []PropagationChange{{PropagationPrivate, true}}},
		{Index: 3, Kind: KindBind, Destination: "/etc/hosts", Source: "/etc/hosts", Attrs: AttrChange{Set: AttrNoDev}},
		{Index: 4, Kind: KindFilesystem, Destination: "/tmp", Type: "tmpfs", Source: "tmpfs",
			Attrs: AttrChange{Atime: AtimeStrict}, Data: []string{"size=1m", "sync"}},
		// Unknown options of a filesystem are its data, as runc does.
		{Index: 5, Kind: KindFilesystem, Destination: "/sys", Type: "sysfs", Source: "sysfs", Protected: true,
			Attrs: AttrChange{Set: AttrReadOnly}, Data: []string{"fooo"}},
	}
	if diff := cmp.Diff(want, p.Mounts); diff != "" {
		t.Errorf("mounts (-want +got):\n%s", diff)
	}
	if p.Rootfs != filepath.Join(b, "rootfs") {
		t.Errorf("Rootfs = %q, want %q", p.Rootfs, filepath.Join(b, "rootfs"))
	}
}

func TestNewPlanSysfsUnderUserNS(t *testing.T) {
	b := bundleDir(t)
	sysfs := specs.Mount{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"ro", "nosuid"}}
	cases := []struct {
		name string
		opts Options
		want Mount
	}{
		{"no userns", Options{}, Mount{Kind: KindFilesystem, Type: "sysfs", Source: "sysfs"}},
		{"userns with netns", Options{UserNS: true, NetNS: true}, Mount{Kind: KindFilesystem, Type: "sysfs", Source: "sysfs"}},
		{"userns without netns", Options{UserNS: true}, Mount{Kind: KindBind, Source: "/sys", Recursive: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := NewPlan(specWith(sysfs), b, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			c.want.Destination, c.want.Protected = "/sys", true
			c.want.Attrs = AttrChange{Set: AttrReadOnly | AttrNoSuid}
			if diff := cmp.Diff(c.want, p.Mounts[0]); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewPlanCgroup(t *testing.T) {
	b := bundleDir(t)
	cg := specs.Mount{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"ro", "nosuid"}}
	base := Mount{Destination: "/sys/fs/cgroup", Protected: true, Attrs: AttrChange{Set: AttrReadOnly | AttrNoSuid}}
	v1 := map[string]string{"memory": "/sys/fs/cgroup/memory/x", "cpu,cpuacct": "/sys/fs/cgroup/cpu,cpuacct/x", "name=systemd": "/sys/fs/cgroup/systemd/x"}
	cases := []struct {
		name     string
		cgroupNS bool
		paths    map[string]string
		want     func(m Mount) Mount
	}{
		{"v2 with cgroupns", true, map[string]string{"": "/sys/fs/cgroup/x"}, func(m Mount) Mount {
			m.Kind, m.Type, m.Source = KindFilesystem, "cgroup2", "cgroup"
			return m
		}},
		{"v2 without cgroupns binds", false, map[string]string{"": "/sys/fs/cgroup/x"}, func(m Mount) Mount {
			m.Kind, m.Source = KindBind, "/sys/fs/cgroup/x"
			return m
		}},
		{"v1 with cgroupns mounts cgroupfs", true, v1, func(m Mount) Mount {
			m.Kind, m.Type, m.Source, m.Data = KindCgroupV1, "tmpfs", "cgroup", []string{"mode=755"}
			m.Cgroups = []CgroupHierarchy{
				{Dir: "cpu,cpuacct", Controllers: []string{"cpu", "cpuacct"}, Links: []string{"cpu", "cpuacct"}},
				{Dir: "memory", Controllers: []string{"memory"}},
				{Dir: "systemd", Controllers: []string{"name=systemd"}},
			}
			return m
		}},
		{"v1 without cgroupns binds", false, v1, func(m Mount) Mount {
			m.Kind, m.Type, m.Source, m.Data = KindCgroupV1, "tmpfs", "cgroup", []string{"mode=755"}
			m.Cgroups = []CgroupHierarchy{
				{Dir: "cpu,cpuacct", Controllers: []string{"cpu", "cpuacct"}, Links: []string{"cpu", "cpuacct"}, HostPath: "/sys/fs/cgroup/cpu,cpuacct/x"},
				{Dir: "memory", Controllers: []string{"memory"}, HostPath: "/sys/fs/cgroup/memory/x"},
				{Dir: "systemd", Controllers: []string{"name=systemd"}, HostPath: "/sys/fs/cgroup/systemd/x"},
			}
			return m
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			spec := specWith(cg)
			if c.cgroupNS {
				spec.Linux.Namespaces = []specs.LinuxNamespace{{Type: specs.CgroupNamespace}}
			}
			p, err := NewPlan(spec, b, Options{CgroupPaths: c.paths})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want(base), p.Mounts[0]); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewPlanDevices(t *testing.T) {
	b := bundleDir(t)
	mode := os.FileMode(0o600)
	uid, gid := uint32(1000), uint32(5)
	spec := specWith(specs.Mount{Destination: "/dev", Type: "tmpfs", Source: "tmpfs"})
	spec.Linux.Devices = []specs.LinuxDevice{
		{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229, FileMode: &mode, UID: &uid, GID: &gid},
		{Path: "/dev/sda", Type: "b", Major: 8, Minor: 0},
		{Path: "/dev/fifo", Type: "p", Major: 1, Minor: 2},
		{Path: "/dev/null", Type: "u", Major: 1, Minor: 3, FileMode: &mode},
	}
	p, err := NewPlan(spec, b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Device{
		{Path: "/dev/zero", Type: DeviceChar, Major: 1, Minor: 5, Mode: 0o666},
		{Path: "/dev/full", Type: DeviceChar, Major: 1, Minor: 7, Mode: 0o666},
		{Path: "/dev/random", Type: DeviceChar, Major: 1, Minor: 8, Mode: 0o666},
		{Path: "/dev/urandom", Type: DeviceChar, Major: 1, Minor: 9, Mode: 0o666},
		{Path: "/dev/tty", Type: DeviceChar, Major: 5, Minor: 0, Mode: 0o666},
		{Path: "/dev/fuse", Type: DeviceChar, Major: 10, Minor: 229, Mode: 0o600, UID: 1000, GID: 5},
		{Path: "/dev/sda", Type: DeviceBlock, Major: 8, Minor: 0, Mode: 0o666},
		{Path: "/dev/fifo", Type: DeviceFifo, Mode: 0o666},
		{Path: "/dev/null", Type: DeviceChar, Major: 1, Minor: 3, Mode: 0o600},
	}
	if diff := cmp.Diff(want, p.Devices); diff != "" {
		t.Errorf("devices (-want +got):\n%s", diff)
	}
	if !p.SetupDev {
		t.Error("SetupDev = false with /dev a tmpfs")
	}

	spec.Mounts[0] = specs.Mount{Destination: "/dev", Type: "bind", Source: "/dev", Options: []string{"rbind"}}
	p, err = NewPlan(spec, b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.SetupDev || len(p.Devices) != 0 || len(p.Symlinks) != 0 {
		t.Errorf("with /dev bound from the host: SetupDev=%v devices=%d symlinks=%d, want none", p.SetupDev, len(p.Devices), len(p.Symlinks))
	}
}

func TestNewPlanPathsAndRoot(t *testing.T) {
	b := bundleDir(t)
	spec := specWith()
	spec.Root.Readonly = true
	spec.Linux.MaskedPaths = []string{"/proc/kcore", "/proc/../proc/keys"}
	spec.Linux.ReadonlyPaths = []string{"/proc/sys"}
	spec.Linux.RootfsPropagation = "rshared"
	p, err := NewPlan(spec, b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := struct {
		Masked, Readonly []string
		RO               bool
		Prop             *PropagationChange
	}{p.MaskedPaths, p.ReadonlyPaths, p.ReadonlyRoot, p.RootPropagation}
	want := got
	want.Masked, want.Readonly, want.RO = []string{"/proc/kcore", "/proc/keys"}, []string{"/proc/sys"}, true
	want.Prop = &PropagationChange{PropagationShared, true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestNewPlanErrors(t *testing.T) {
	b := bundleDir(t)
	if err := os.WriteFile(filepath.Join(b, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		edit    func(s *specs.Spec)
		bundle  string
		wantMsg string
	}{
		{"no root", func(s *specs.Spec) { s.Root = nil }, b, "root.path: missing"},
		{"empty root path", func(s *specs.Spec) { s.Root.Path = "" }, b, "root.path: missing"},
		{"root absent", func(s *specs.Spec) { s.Root.Path = "nope" }, b, "root.path: "},
		{"root a file", func(s *specs.Spec) { s.Root.Path = "file" }, b, "is not a directory"},
		{"relative destination", func(s *specs.Spec) {
			s.Mounts = []specs.Mount{{Destination: "/a", Type: "tmpfs"}, {Destination: "/b", Type: "tmpfs"}, {Destination: "/c", Type: "tmpfs"}, {Destination: "x", Type: "tmpfs"}}
		}, b, `mounts[3].destination: "x" must be absolute`},
		{"empty destination", func(s *specs.Spec) { s.Mounts = []specs.Mount{{Type: "tmpfs"}} }, b, "mounts[0].destination: missing"},
		{"over root", func(s *specs.Spec) { s.Mounts = []specs.Mount{{Destination: "/..", Type: "tmpfs"}} }, b, "mounts[0].destination: cannot mount over"},
		{"unknown bind option", func(s *specs.Spec) {
			s.Mounts = []specs.Mount{{Destination: "/a", Type: "tmpfs"}, {Destination: "/b", Type: "tmpfs"},
				{Destination: "/x", Type: "bind", Source: "/tmp", Options: []string{"rbind", "fooo"}}}
		}, b, `mounts[2].options: unknown option "fooo"`},
		{"bind without source", func(s *specs.Spec) {
			s.Mounts = []specs.Mount{{Destination: "/x", Options: []string{"bind"}}}
		}, b, "mounts[0].source: a bind mount needs a source"},
		{"no type", func(s *specs.Spec) { s.Mounts = []specs.Mount{{Destination: "/x", Source: "x"}} }, b, "mounts[0].type: missing"},
		{"bad device type", func(s *specs.Spec) {
			s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/x", Type: "c"}, {Path: "/dev/y", Type: "q"}}
		}, b, `linux.devices[1].type: unknown device type "q"`},
		{"relative device", func(s *specs.Spec) { s.Linux.Devices = []specs.LinuxDevice{{Path: "dev/x", Type: "c"}} }, b, "linux.devices[0].path"},
		{"device number", func(s *specs.Spec) {
			s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/x", Type: "c", Major: -1}}
		}, b, "linux.devices[0]: device number -1:0 out of range"},
		{"relative masked path", func(s *specs.Spec) { s.Linux.MaskedPaths = []string{"proc/kcore"} }, b, "linux.maskedPaths[0]"},
		{"relative readonly path", func(s *specs.Spec) { s.Linux.ReadonlyPaths = []string{"/ok", "sys"} }, b, "linux.readonlyPaths[1]"},
		{"bad propagation", func(s *specs.Spec) { s.Linux.RootfsPropagation = "ro" }, b, `linux.rootfsPropagation: unknown propagation "ro"`},
		{"v2 bind needs path", func(s *specs.Spec) {
			s.Mounts = []specs.Mount{{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup"}}
		}, b, "mounts[0]: no cgroup path"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			spec := specWith()
			c.edit(spec)
			_, err := NewPlan(spec, c.bundle, Options{})
			if err == nil {
				t.Fatalf("NewPlan succeeded, want error containing %q", c.wantMsg)
			}
			if !strings.Contains(err.Error(), c.wantMsg) {
				t.Errorf("error %q does not contain %q", err, c.wantMsg)
			}
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Errorf("error %q is not ErrInvalidArgument", err)
			}
		})
	}
}
