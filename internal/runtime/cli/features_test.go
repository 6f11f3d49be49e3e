package cli_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// feature is one runtime-spec setting checked from inside a container: the
// container runs script with edit applied, and its output must contain
// every string of want.
type feature struct {
	name   string
	script string
	edit   func(t *testing.T, s *specs.Spec)
	want   []string
}

func ptr[T any](v T) *T { return &v }

func withUser(uid, gid uint32, extra ...uint32) func(*specs.Spec) {
	return func(s *specs.Spec) {
		s.Process.User = specs.User{UID: uid, GID: gid, AdditionalGids: extra}
	}
}

// TestRunFeatures runs one container per setting and asserts what the
// process inside sees.
func TestRunFeatures(t *testing.T) {
	allCaps := func(names ...string) *specs.LinuxCapabilities {
		return &specs.LinuxCapabilities{Bounding: names, Effective: names, Permitted: names, Inheritable: names, Ambient: names}
	}
	features := []feature{
		{
			name:   "user uid gid additionalGids umask",
			script: `echo "uid=$(id -u) gid=$(id -g) groups=$(id -G)"; umask`,
			edit: func(_ *testing.T, s *specs.Spec) {
				withUser(1000, 1001, 10, 20)(s)
				s.Process.User.Umask = ptr(uint32(0o027))
			},
			want: []string{"uid=1000 gid=1001 groups=1001 10 20\n", "0027\n"},
		},
		{
			name:   "rlimits below the host's hard limit",
			script: `echo "soft=$(ulimit -n) hard=$(ulimit -Hn)"`,
			edit: func(_ *testing.T, s *specs.Spec) {
				s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 512, Hard: 4096}}
			},
			want: []string{"soft=512 hard=4096\n"},
		},
		{
			name:   "env",
			script: `echo "FOO=$FOO BAR=$BAR"`,
			edit: func(_ *testing.T, s *specs.Spec) {
				s.Process.Env = append(s.Process.Env, "FOO=bar baz", "BAR=")
			},
			want: []string{"FOO=bar baz BAR=\n"},
		},
		{
			name:   "cwd that exists",
			script: `pwd`,
			edit:   func(_ *testing.T, s *specs.Spec) { s.Process.Cwd = "/etc" },
			want:   []string{"/etc\n"},
		},
		{
			name:   "cwd created in a read-only root",
			script: `pwd; ls -ld . | cut -c1-10`,
			edit:   func(_ *testing.T, s *specs.Spec) { s.Process.Cwd = "/work/not/yet" },
			want:   []string{"/work/not/yet\n", "drwxr-xr-x\n"},
		},
		{
			name:   "hostname and domainname",
			script: `echo "host=$(hostname) domain=$(cat /proc/sys/kernel/domainname)"`,
			edit: func(_ *testing.T, s *specs.Spec) {
				s.Hostname = "box"
				s.Domainname = "example.test"
			},
			want: []string{"host=box domain=example.test\n"},
		},
		{
			name:   "namespaced sysctls",
			script: `echo "fwd=$(cat /proc/sys/net/ipv4/ip_forward) shmmax=$(cat /proc/sys/kernel/shmmax)"`,
			edit: func(_ *testing.T, s *specs.Spec) {
				s.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1", "kernel.shmmax": "12345678"}
			},
			want: []string{"fwd=1 shmmax=12345678\n"},
		},
		{
			name:   "oomScoreAdj",
			script: `cat /proc/self/oom_score_adj`,
			edit:   func(_ *testing.T, s *specs.Spec) { s.Process.OOMScoreAdj = ptr(123) },
			want:   []string{"123\n"},
		},
		{
			name:   "read-only root",
			script: `touch /x 2>&1; echo rc=$?`,
			want:   []string{"Read-only file system", "rc=1\n"},
		},
		{
			name: "masked path",
			// This kernel has no /proc/kcore; /proc/keys is in the default
			// list too.
			script: `stat -c '%F %t:%T' /proc/keys; wc -c </proc/keys; ls /sys/firmware | wc -l`,
			want:   []string{"character special file 1:3\n0\n0\n"},
		},
		{
			name:   "read-only paths",
			script: `echo 1 >/proc/sys/kernel/domainname; echo rc=$?; grep ' /proc/sys ' /proc/mounts | grep -c ' ro,'`,
			want:   []string{"Read-only file system", "rc=1\n", "\n1\n"},
		},
		{
			name:   "personality LINUX32",
			script: `uname -m`,
			edit: func(_ *testing.T, s *specs.Spec) {
				s.Linux.Personality = &specs.LinuxPersonality{Domain: specs.PerLinux32}
			},
			want: []string{"i686\n"},
		},
		{
			name:   "scheduler SCHED_BATCH with nice",
			script: `grep -E '^policy ' /proc/self/sched | tr -s ' '; cut -d' ' -f19 /proc/self/stat`,
			edit: func(_ *testing.T, s *specs.Spec) {
				s.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedBatch, Nice: 5}
			},
			want: []string{"policy : 3\n5\n"},
		},
		{
			name:   "ioPriority",
			script: `ionice -p $$`,
			edit: func(_ *testing.T, s *specs.Spec) {
				s.Process.IOPriority = &specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_BE, Priority: 6}
			},
			want: []string{"best-effort: prio 6\n"},
		},
		{
			name:   "noNewPrivileges false",
			script: `grep NoNewPrivs /proc/self/status`,
			edit:   func(_ *testing.T, s *specs.Spec) { s.Process.NoNewPrivileges = false },
			want:   []string{"NoNewPrivs:\t0\n"},
		},
		{
			name:   "noNewPrivileges true",
			script: `grep NoNewPrivs /proc/self/status`,
			want:   []string{"NoNewPrivs:\t1\n"},
		},
		{
			name:   "ambient capabilities for a non-root user",
			script: `id -u; grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb):' /proc/self/status`,
			edit: func(_ *testing.T, s *specs.Spec) {
				withUser(1000, 1000)(s)
				s.Process.Capabilities = allCaps("CAP_NET_RAW", "CAP_CHOWN")
			},
			want: []string{"1000\n", // CAP_CHOWN is bit 0, CAP_NET_RAW bit 13
				"CapInh:\t0000000000002001\nCapPrm:\t0000000000002001\nCapEff:\t0000000000002001\nCapBnd:\t0000000000002001\nCapAmb:\t0000000000002001\n"},
		},
		{
			name:   "time namespace offsets",
			script: `awk '{ print ($1 >= 1000000000 && $1 < 1100000000) ? "shifted" : "not shifted: " $1 }' /proc/uptime; cat /proc/self/timens_offsets`,
			edit: func(_ *testing.T, s *specs.Spec) {
				s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.TimeNamespace})
				s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{
					"boottime":  {Secs: 1000000000},
					"monotonic": {Secs: 7},
				}
			},
			// Uptime is boottime: 10^9 s plus the host's uptime, which is
			// below 10^8 s (3 years) on any test machine.
			want: []string{"shifted\n", "monotonic           7         0\nboottime   1000000000         0\n"},
		},
		{
			name:   "user namespace with mappings",
			script: `id -u; cat /proc/self/uid_map /proc/self/gid_map | tr -s ' '; touch /dev/shm/ok && echo wrote`,
			edit: func(t *testing.T, s *specs.Spec) {
				s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
				s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
				s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
			},
			want: []string{"0\n 0 100000 65536\n 0 100000 65536\nwrote\n"},
		},
		{
			name:   "cgroup namespace",
			script: `cat /proc/self/cgroup`,
			want:   []string{":/\n"},
		},
		{
			name:   "tmpfs mount with size",
			script: `grep ' /mnt/t ' /proc/mounts; touch /mnt/t/x && echo wrote`,
			edit: func(_ *testing.T, s *specs.Spec) {
				s.Mounts = append(s.Mounts, specs.Mount{Destination: "/mnt/t", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=1m", "mode=700"}})
			},
			want: []string{"tmpfs /mnt/t tmpfs rw,", "size=1024k,mode=700", "wrote\n"},
		},
		{
			name:   "read-only bind of a host directory",
			script: `cat /mnt/host/file; touch /mnt/host/new 2>&1; echo rc=$?`,
			edit: func(t *testing.T, s *specs.Spec) {
				dir := t.TempDir()
				if err := os.WriteFile(filepath.Join(dir, "file"), []byte("from the host\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				s.Mounts = append(s.Mounts, specs.Mount{Destination: "/mnt/host", Type: "bind", Source: dir, Options: []string{"rbind", "ro"}})
			},
			want: []string{"from the host\n", "Read-only file system", "rc=1\n"},
		},
		{
			name:   "device node",
			script: `stat -c '%F %t:%T %a %u:%g' /dev/fuse`,
			edit: func(_ *testing.T, s *specs.Spec) {
				s.Linux.Devices = append(s.Linux.Devices, specs.LinuxDevice{
					Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229,
					FileMode: ptr(os.FileMode(0o620)), UID: ptr(uint32(1000)), GID: ptr(uint32(1001)),
				})
			},
			want: []string{"character special file a:e5 620 1000:1001\n"},
		},
	}
	for _, f := range features {
		t.Run(f.name, func(t *testing.T) {
			r := newRT(t)
			// The shell's own errors (a failed redirection) go to stdout too.
			b := r.bundle("exec 2>&1; "+f.script, func(s *specs.Spec) {
				if f.edit != nil {
					f.edit(t, s)
				}
			})
			if f.name == "user namespace with mappings" {
				makeTraversable(t, b)
			}
			out := r.must("run", "--bundle", b, r.name)
			for _, w := range f.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// makeTraversable lets a container root mapped to an unprivileged host uid
// reach the bundle: t.TempDir() makes 0700 directories.
func makeTraversable(t *testing.T, bundle string) {
	t.Helper()
	for dir := bundle; dir != "/" && dir != os.TempDir(); dir = filepath.Dir(dir) {
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRunRefusesAtCreate covers settings the runtime must refuse with an
// error naming what is wrong.
func TestRunRefusesAtCreate(t *testing.T) {
	// Above fs.nr_open the kernel refuses RLIMIT_NOFILE even to a process
	// with CAP_SYS_RESOURCE (this host's root lacks it; the VM's has it).
	nrOpen, err := os.ReadFile("/proc/sys/fs/nr_open")
	if err != nil {
		t.Fatal(err)
	}
	var tooMany uint64
	if _, err := fmt.Sscan(string(nrOpen), &tooMany); err != nil {
		t.Fatal(err)
	}
	tooMany++
	cases := []struct {
		name string
		edit func(*specs.Spec)
		want []string
	}{
		{
			name: "non-namespaced sysctl",
			edit: func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"vm.swappiness": "10"} },
			want: []string{"linux.sysctl", "vm.swappiness"},
		},
		{
			name: "rlimit above what the kernel allows",
			edit: func(s *specs.Spec) {
				s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: tooMany, Hard: tooMany}}
			},
			want: []string{"RLIMIT_NOFILE", fmt.Sprint(tooMany)},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRT(t)
			res := r.run("run", "--bundle", r.bundle("echo ran", c.edit), r.name)
			if res.code == 0 || strings.Contains(res.stdout, "ran") {
				t.Fatalf("run succeeded (exit %d), stdout %q", res.code, res.stdout)
			}
			for _, w := range c.want {
				if !strings.Contains(res.stderr, w) {
					t.Errorf("stderr lacks %q: %s", w, res.stderr)
				}
			}
			if r.stateDirExists() {
				t.Error("state directory left behind")
			}
		})
	}
}

// TestJoinNetworkNamespaceByPath joins a named network namespace the test
// creates and checks the container is in it.
func TestJoinNetworkNamespaceByPath(t *testing.T) {
	r := newRT(t)
	if out, err := exec.Command("ip", "netns", "add", r.name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "delete", r.name).Run() })
	path := "/run/netns/" + r.name
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	b := r.bundle(`readlink /proc/self/ns/net`, func(s *specs.Spec) {
		for i, ns := range s.Linux.Namespaces {
			if ns.Type == specs.NetworkNamespace {
				s.Linux.Namespaces[i].Path = path
			}
		}
	})
	out := r.must("run", "--bundle", b, r.name)
	if want := fmt.Sprintf("net:[%d]\n", st.Ino); out != want {
		t.Fatalf("container's netns %q, want %q", out, want)
	}
}
