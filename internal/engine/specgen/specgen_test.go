package specgen

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/google/go-cmp/cmp"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

const testID = "0123456789abcdef0123"

// fakeRootfs lays out /etc/passwd and /etc/group under a temp dir.
func fakeRootfs(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"etc/passwd": "root:x:0:0:root:/root:/bin/sh\n" +
			"# a comment\n" +
			"app:x:1000:1001:app:/home/app:/bin/sh\n" +
			"nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
		"etc/group": "root:x:0:\nstaff:x:50:app,other\napp:x:1001:\naudio:x:29:app\nnogroup:x:65534:\n",
	}
	for p, c := range files {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

var img = ocispec.ImageConfig{
	Env:        []string{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"},
	Entrypoint: []string{"/entry.sh"},
	Cmd:        []string{"serve", "--port=80"},
	WorkingDir: "/srv",
	Labels:     map[string]string{"org.example.team": "infra"},
	StopSignal: "SIGQUIT",
}

// want is the spec Docker would generate for img with no options at all.
func want(rootfs string) *specs.Spec {
	caps := []string{
		"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
		"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
		"CAP_NET_RAW", "CAP_SYS_CHROOT", "CAP_MKNOD", "CAP_AUDIT_WRITE", "CAP_SETFCAP",
	}
	return &specs.Spec{
		Version: specs.Version,
		Root:    &specs.Root{Path: rootfs},
		Process: &specs.Process{
			User: specs.User{UID: 0, GID: 0},
			Args: []string{"/entry.sh", "serve", "--port=80"},
			Env: []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOSTNAME=0123456789ab",
				"LANG=C.UTF-8", "HOME=/root"},
			Cwd:          "/srv",
			Capabilities: &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps},
		},
		Hostname: "0123456789ab",
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
			{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
			{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"nosuid", "noexec", "nodev", "relatime", "ro"}},
			{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
			{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=67108864"}},
		},
		Annotations: map[string]string{"org.example.team": "infra", StopSignalAnnotation: "SIGQUIT"},
		Linux: &specs.Linux{
			CgroupsPath: "/cais/" + testID,
			Resources:   &specs.LinuxResources{Devices: defaultDeviceRules},
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace}, {Type: specs.IPCNamespace}, {Type: specs.UTSNamespace},
				{Type: specs.MountNamespace}, {Type: specs.CgroupNamespace}, {Type: specs.NetworkNamespace},
			},
			MaskedPaths: []string{"/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore",
				"/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
				"/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap"},
			ReadonlyPaths: []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"},
		},
	}
}

func p64(v int64) *int64 { return &v }

func TestGenerate(t *testing.T) {
	rootfs := fakeRootfs(t)
	allCapsSorted := append([]string(nil), allCaps...)
	seccompFile := filepath.Join(t.TempDir(), "profile.json")
	dockerProfile := `{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,
		"archMap":[{"architecture":"SCMP_ARCH_X86_64","subArchitectures":["SCMP_ARCH_X86","SCMP_ARCH_X32"]},
		           {"architecture":"SCMP_ARCH_AARCH64","subArchitectures":["SCMP_ARCH_ARM"]}],
		"syscalls":[{"names":["read","write"],"action":"SCMP_ACT_ALLOW"},
		            {"name":"personality","action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"}]},
		            {"names":["mount"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN"]}},
		            {"names":["chown"],"action":"SCMP_ACT_ALLOW","excludes":{"caps":["CAP_SYS_ADMIN"]}},
		            {"names":["arch_prctl"],"action":"SCMP_ACT_ALLOW","includes":{"arches":["amd64","x32"]}},
		            {"names":["s390_pci_mmio_read"],"action":"SCMP_ACT_ALLOW","includes":{"arches":["s390x"]}},
		            {"names":["ioperm"],"action":"SCMP_ACT_ALLOW","excludes":{"arches":["SCMP_ARCH_X86_64"]}}]}`
	if err := os.WriteFile(seccompFile, []byte(dockerProfile), 0o644); err != nil {
		t.Fatal(err)
	}
	errno1 := uint(1)
	fallback := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow}
	oomAdj := 500

	tests := []struct {
		name string
		img  ocispec.ImageConfig
		opts Options
		edit func(s *specs.Spec)
	}{
		{name: "plain image", edit: func(*specs.Spec) {}},
		{
			name: "cmd replaces image cmd",
			opts: Options{Cmd: []string{"migrate"}},
			edit: func(s *specs.Spec) { s.Process.Args = []string{"/entry.sh", "migrate"} },
		},
		{
			name: "entrypoint drops image cmd",
			opts: Options{Entrypoint: []string{"/bin/sh"}, EntrypointSet: true},
			edit: func(s *specs.Spec) { s.Process.Args = []string{"/bin/sh"} },
		},
		{
			name: "empty entrypoint with cmd",
			opts: Options{EntrypointSet: true, Cmd: []string{"ls", "-l"}},
			edit: func(s *specs.Spec) { s.Process.Args = []string{"ls", "-l"} },
		},
		{
			name: "entrypoint and cmd",
			opts: Options{Entrypoint: []string{"/bin/sh", "-c"}, EntrypointSet: true, Cmd: []string{"echo hi"}},
			edit: func(s *specs.Spec) { s.Process.Args = []string{"/bin/sh", "-c", "echo hi"} },
		},
		{
			name: "env merging, tty, hostname, workdir",
			opts: Options{Env: []string{"LANG=fr_FR", "DEBUG=1", "HOME=/data"}, Tty: true, Hostname: "web", Domainname: "example.org", WorkingDir: "/tmp/../work/"},
			edit: func(s *specs.Spec) {
				s.Hostname, s.Domainname = "web", "example.org"
				s.Linux.Sysctl = map[string]string{"kernel.domainname": "example.org"}
				s.Process.Terminal = true
				s.Process.Cwd = "/work"
				s.Process.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOSTNAME=web", "TERM=xterm", "LANG=fr_FR", "DEBUG=1", "HOME=/data"}
			},
		},
		{
			name: "image without env or workdir",
			img:  ocispec.ImageConfig{Cmd: []string{"sh"}},
			edit: func(s *specs.Spec) {
				s.Process.Args = []string{"sh"}
				s.Process.Cwd = "/"
				s.Process.Env = []string{defaultPath, "HOSTNAME=0123456789ab", "HOME=/root"}
				s.Annotations = nil
			},
		},
		{
			name: "user by name gets passwd group and supplementary groups",
			opts: Options{User: "app"},
			edit: func(s *specs.Spec) {
				s.Process.User = specs.User{UID: 1000, GID: 1001, AdditionalGids: []uint32{50, 29}}
				s.Process.Env[3] = "HOME=/home/app"
				s.Process.Capabilities.Effective = []string{}
				s.Process.Capabilities.Permitted = []string{}
			},
		},
		{
			name: "user by known number",
			opts: Options{User: "65534"},
			edit: func(s *specs.Spec) {
				s.Process.User = specs.User{UID: 65534, GID: 65534}
				s.Process.Env[3] = "HOME=/nonexistent"
				s.Process.Capabilities.Effective = []string{}
				s.Process.Capabilities.Permitted = []string{}
			},
		},
		{
			name: "unknown uid:gid numbers",
			opts: Options{User: "4242:4343"},
			edit: func(s *specs.Spec) {
				s.Process.User = specs.User{UID: 4242, GID: 4343}
				s.Process.Env[3] = "HOME=/"
				s.Process.Capabilities.Effective = []string{}
				s.Process.Capabilities.Permitted = []string{}
			},
		},
		{
			name: "name:group",
			opts: Options{User: "app:staff"},
			edit: func(s *specs.Spec) {
				s.Process.User = specs.User{UID: 1000, GID: 50, AdditionalGids: []uint32{29}}
				s.Process.Env[3] = "HOME=/home/app"
				s.Process.Capabilities.Effective = []string{}
				s.Process.Capabilities.Permitted = []string{}
			},
		},
		{
			name: "cap add and drop, with and without prefix, any case",
			opts: Options{CapAdd: []string{"sys_admin", "CAP_NET_ADMIN"}, CapDrop: []string{"MKNOD", "cap_net_raw"}},
			edit: func(s *specs.Spec) {
				caps := []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
					"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_NET_ADMIN",
					"CAP_SYS_CHROOT", "CAP_SYS_ADMIN", "CAP_AUDIT_WRITE", "CAP_SETFCAP"}
				s.Process.Capabilities = &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps}
			},
		},
		{
			name: "cap drop ALL then add",
			opts: Options{CapDrop: []string{"all"}, CapAdd: []string{"chown"}},
			edit: func(s *specs.Spec) {
				caps := []string{"CAP_CHOWN"}
				s.Process.Capabilities = &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps}
			},
		},
		{
			name: "cap add ALL less a drop",
			opts: Options{CapAdd: []string{"ALL"}, CapDrop: []string{"SYS_MODULE"}},
			edit: func(s *specs.Spec) {
				var caps []string
				for _, c := range allCapsSorted {
					if c != "CAP_SYS_MODULE" {
						caps = append(caps, c)
					}
				}
				s.Process.Capabilities = &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps}
			},
		},
		{
			name: "privileged",
			opts: Options{Privileged: true, Seccomp: fallback, Devices: []string{"/dev/null:/dev/mynull"}},
			edit: func(s *specs.Spec) {
				s.Process.Capabilities = &specs.LinuxCapabilities{Bounding: allCapsSorted, Effective: allCapsSorted, Permitted: allCapsSorted}
				s.Linux.MaskedPaths, s.Linux.ReadonlyPaths = nil, nil
				s.Linux.Resources.Devices = []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}
				s.Linux.Devices = []specs.LinuxDevice{devNull("/dev/mynull", t)}
				s.Mounts[3].Options[3] = "rw"
				s.Mounts[4].Options[4] = "rw"
			},
		},
		{
			name: "read-only rootfs makes the etc files read-only",
			opts: Options{ReadOnly: true, HostsPath: "/run/c/hosts", ResolvConfPath: "/run/c/resolv.conf", HostnamePath: "/run/c/hostname"},
			edit: func(s *specs.Spec) {
				s.Root.Readonly = true
				s.Mounts = append(s.Mounts,
					specs.Mount{Destination: "/etc/resolv.conf", Type: "bind", Source: "/run/c/resolv.conf", Options: []string{"rbind", "rprivate", "ro"}},
					specs.Mount{Destination: "/etc/hostname", Type: "bind", Source: "/run/c/hostname", Options: []string{"rbind", "rprivate", "ro"}},
					specs.Mount{Destination: "/etc/hosts", Type: "bind", Source: "/run/c/hosts", Options: []string{"rbind", "rprivate", "ro"}})
			},
		},
		{
			name: "user mounts sorted by depth, shm replaced, tmpfs, shm size",
			opts: Options{
				ShmSize: 1 << 30,
				Mounts: []specs.Mount{
					{Destination: "/data/sub", Type: "bind", Source: "/v/sub", Options: []string{"rbind"}},
					{Destination: "/data", Type: "bind", Source: "/v/data", Options: []string{"rbind"}},
				},
				Tmpfs:        map[string]string{"/run": "exec,size=1m"},
				HostsPath:    "/run/c/hosts",
				CgroupParent: "/custom",
			},
			edit: func(s *specs.Spec) {
				s.Mounts[6].Options[4] = "size=1073741824"
				s.Mounts = append(s.Mounts,
					specs.Mount{Destination: "/data", Type: "bind", Source: "/v/data", Options: []string{"rbind"}},
					specs.Mount{Destination: "/run", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "nodev", "exec", "size=1m"}},
					specs.Mount{Destination: "/data/sub", Type: "bind", Source: "/v/sub", Options: []string{"rbind"}},
					specs.Mount{Destination: "/etc/hosts", Type: "bind", Source: "/run/c/hosts", Options: []string{"rbind", "rprivate"}})
				s.Linux.CgroupsPath = "/custom/" + testID
			},
		},
		{
			name: "a user mount on /dev/shm replaces the default",
			opts: Options{Mounts: []specs.Mount{{Destination: "/dev/shm/", Type: "bind", Source: "/host/shm"}}},
			edit: func(s *specs.Spec) {
				s.Mounts[6] = specs.Mount{Destination: "/dev/shm", Type: "bind", Source: "/host/shm"}
			},
		},
		{
			name: "ulimits, last wins",
			opts: Options{Ulimits: []string{"nofile=1024:2048", "nproc=100", "nofile=10:20", "core=-1"}},
			edit: func(s *specs.Spec) {
				s.Process.Rlimits = []specs.POSIXRlimit{
					{Type: "RLIMIT_NOFILE", Soft: 10, Hard: 20},
					{Type: "RLIMIT_NPROC", Soft: 100, Hard: 100},
					{Type: "RLIMIT_CORE", Soft: ^uint64(0), Hard: ^uint64(0)},
				}
			},
		},
		{
			name: "device with container path and permissions",
			opts: Options{Devices: []string{"/dev/null:/dev/xnull:rw", "/dev/null"}},
			edit: func(s *specs.Spec) {
				s.Linux.Devices = []specs.LinuxDevice{devNull("/dev/xnull", t), devNull("/dev/null", t)}
				s.Linux.Resources.Devices = append(append([]specs.LinuxDeviceCgroup(nil), defaultDeviceRules...),
					specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: p64(1), Minor: p64(3), Access: "rw"},
					specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: p64(1), Minor: p64(3), Access: "rwm"})
			},
		},
		{
			name: "resources",
			opts: Options{Memory: 64 << 20, NanoCPUs: 1_500_000_000, CPUShares: 512, PidsLimit: 100, CpusetCpus: "0-1", BlkioWeight: 300, OOMScoreAdj: &oomAdj},
			edit: func(s *specs.Spec) {
				period := uint64(100000)
				shares := uint64(512)
				weight := uint16(300)
				r := s.Linux.Resources
				r.Memory = &specs.LinuxMemory{Limit: p64(64 << 20), Swap: p64(128 << 20)}
				r.CPU = &specs.LinuxCPU{Shares: &shares, Quota: p64(150000), Period: &period, Cpus: "0-1"}
				r.Pids = &specs.LinuxPids{Limit: p64(100)}
				r.BlockIO = &specs.LinuxBlockIO{Weight: &weight}
				s.Process.OOMScoreAdj = &oomAdj
			},
		},
		{
			name: "unlimited swap and pids",
			opts: Options{Memory: 1 << 20, MemorySwap: -1, PidsLimit: -1},
			edit: func(s *specs.Spec) {
				s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: p64(1 << 20), Swap: p64(-1)}
				s.Linux.Resources.Pids = &specs.LinuxPids{Limit: p64(-1)}
			},
		},
		{
			name: "host network",
			opts: Options{Network: "host", Sysctls: map[string]string{"kernel.shmmax": "100"}},
			edit: func(s *specs.Spec) {
				s.Linux.Namespaces = s.Linux.Namespaces[:5]
				s.Linux.Sysctl = map[string]string{"kernel.shmmax": "100"}
			},
		},
		{
			name: "network namespace path and net sysctl",
			opts: Options{Network: "ns:/run/netns/x", Sysctls: map[string]string{"net.ipv4.ip_forward": "1"}},
			edit: func(s *specs.Spec) {
				s.Linux.Namespaces[5].Path = "/run/netns/x"
				s.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1"}
			},
		},
		{
			name: "no-new-privileges and default seccomp",
			opts: Options{SecurityOpt: []string{"no-new-privileges"}, Seccomp: fallback},
			edit: func(s *specs.Spec) {
				s.Process.NoNewPrivileges = true
				s.Linux.Seccomp = fallback
			},
		},
		{
			name: "seccomp unconfined",
			opts: Options{SecurityOpt: []string{"seccomp=unconfined", "no-new-privileges=false", "apparmor=docker-default"}, Seccomp: fallback},
			edit: func(*specs.Spec) {},
		},
		{
			name: "init, stop signal and labels",
			opts: Options{Init: true, InitPath: "/usr/libexec/cais/init", StopSignal: "SIGTERM", Labels: map[string]string{"org.example.team": "web", "x": "y"}},
			edit: func(s *specs.Spec) {
				s.Process.Args = append([]string{"/sbin/docker-init", "--"}, s.Process.Args...)
				s.Mounts = append(s.Mounts, specs.Mount{Destination: "/sbin/docker-init", Type: "bind", Source: "/usr/libexec/cais/init", Options: []string{"bind", "ro"}})
				s.Annotations = map[string]string{"org.example.team": "web", "x": "y", StopSignalAnnotation: "SIGTERM"}
			},
		},
	}
	if runtime.GOARCH == "amd64" {
		tests = append(tests, struct {
			name string
			img  ocispec.ImageConfig
			opts Options
			edit func(s *specs.Spec)
		}{
			name: "docker-shaped seccomp profile",
			opts: Options{SecurityOpt: []string{"seccomp=" + seccompFile}, Seccomp: fallback},
			edit: func(s *specs.Spec) {
				s.Linux.Seccomp = &specs.LinuxSeccomp{
					DefaultAction:   specs.ActErrno,
					DefaultErrnoRet: &errno1,
					Architectures:   []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
					Syscalls: []specs.LinuxSyscall{
						{Names: []string{"read", "write"}, Action: specs.ActAllow},
						{Names: []string{"personality"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{{Index: 0, Value: 8, Op: specs.OpEqualTo}}},
						{Names: []string{"chown"}, Action: specs.ActAllow},
						{Names: []string{"arch_prctl"}, Action: specs.ActAllow},
					},
				}
			},
		})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			image := img
			if tc.img.Cmd != nil {
				image = tc.img
			}
			o := tc.opts
			o.ID = testID
			got, err := Generate(image, rootfs, o)
			if err != nil {
				t.Fatalf("Generate: %v", err)
			}
			w := want(rootfs)
			tc.edit(w)
			if diff := cmp.Diff(w, got); diff != "" {
				t.Errorf("spec (-want +got):\n%s", diff)
			}
		})
	}
}

// devNull is the LinuxDevice for the host's /dev/null at dest.
func devNull(dest string, t *testing.T) specs.LinuxDevice {
	t.Helper()
	mode := os.FileMode(0o666)
	var zero uint32
	return specs.LinuxDevice{Path: dest, Type: "c", Major: 1, Minor: 3, FileMode: &mode, UID: &zero, GID: &zero}
}

func TestGenerateErrors(t *testing.T) {
	rootfs := fakeRootfs(t)
	badProfile := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(badProfile, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		opts    Options
		wantMsg string
	}{
		{"no id", Options{ID: "-"}, ""},
		{"unknown user", Options{User: "ghost"}, "unable to find user ghost: no matching entries in passwd file"},
		{"unknown group", Options{User: "app:ghosts"}, "unable to find group ghosts: no matching entries in group file"},
		{"unknown cap", Options{CapAdd: []string{"FLY"}}, `unknown capability "FLY" (--cap-add, --cap-drop)`},
		{"unknown cap drop", Options{CapDrop: []string{"CAP_NOPE"}}, `unknown capability "CAP_NOPE" (--cap-add, --cap-drop)`},
		{"ulimit without value", Options{Ulimits: []string{"nofile"}}, `invalid --ulimit "nofile": want name=soft[:hard]`},
		{"ulimit unknown name", Options{Ulimits: []string{"files=1"}}, `invalid --ulimit "files=1": unknown resource "files"`},
		{"ulimit soft above hard", Options{Ulimits: []string{"nofile=2048:1024"}}, `invalid --ulimit "nofile=2048:1024": soft limit is above the hard limit`},
		{"ulimit not a number", Options{Ulimits: []string{"nofile=many"}}, `invalid --ulimit "nofile=many": soft limit is not a number`},
		{"device relative", Options{Devices: []string{"dev/null"}}, `invalid --device "dev/null": paths must be absolute`},
		{"device bad perms", Options{Devices: []string{"/dev/null:/dev/x:rwx"}}, `invalid --device "/dev/null:/dev/x:rwx": permissions must be a combination of r, w and m`},
		{"device not a node", Options{Devices: []string{"/etc/passwd"}}, `invalid --device "/etc/passwd": not a device node`},
		{"device too many parts", Options{Devices: []string{"/a:/b:rw:x"}}, `invalid --device "/a:/b:rw:x": too many colons`},
		{"bad network", Options{Network: "bridge"}, `network mode "bridge": want none, host or ns:<absolute path>`},
		{"non-namespaced sysctl", Options{Sysctls: map[string]string{"kernel.panic": "1"}}, `invalid --sysctl "kernel.panic": not allowed: it is not namespaced`},
		{"net sysctl with host network", Options{Network: "host", Sysctls: map[string]string{"net.core.somaxconn": "1"}}, `invalid --sysctl "net.core.somaxconn": not allowed in host network mode`},
		{"bad security opt", Options{SecurityOpt: []string{"bogus"}}, `invalid --security-opt "bogus"`},
		{"bad seccomp profile", Options{SecurityOpt: []string{"seccomp=" + badProfile}}, "decoding seccomp profile"},
		{"swap below memory", Options{Memory: 100, MemorySwap: 50}, "--memory-swap 50 is below the --memory limit 100"},
		{"init without binary", Options{Init: true}, "init requested but no init binary is configured"},
		{"no command", Options{EntrypointSet: true}, "no command specified"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts
			if o.ID == "-" {
				o.ID = ""
				tc.wantMsg = "container ID is required"
			} else {
				o.ID = testID
			}
			_, err := Generate(img, rootfs, o)
			if err == nil {
				t.Fatalf("Generate succeeded, want an error containing %q", tc.wantMsg)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q, want it to contain %q", err, tc.wantMsg)
			}
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Errorf("error %q is not ErrInvalidArgument", err)
			}
		})
	}
}

// TestUserFilesStayInRootfs shows that an /etc/passwd symlink pointing
// outside the rootfs is not followed there.
func TestUserFilesStayInRootfs(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "passwd"), []byte("evil:x:7:7::/:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rootfs := t.TempDir()
	if err := os.Mkdir(filepath.Join(rootfs, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "passwd"), filepath.Join(rootfs, "etc", "passwd")); err != nil {
		t.Fatal(err)
	}
	_, err := Generate(img, rootfs, Options{ID: testID, User: "evil"})
	if err == nil {
		t.Fatal("Generate resolved a user from a passwd file outside the rootfs")
	}
}
