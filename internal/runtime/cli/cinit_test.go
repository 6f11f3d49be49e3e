package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// The C init (package cinit) and the Go init (package bootstrap) must make
// the same container. These tests run each case twice, the second time with
// CAIS_GO_INIT=1, and compare what the process inside sees, or the error
// and what is left behind.

// probe prints what a container's process sees of its own setup, without
// numbers that differ between two runs (mount ids, device numbers, dates).
const probe = `id; umask; grep -E '^(Cap|NoNewPrivs|Seccomp|Groups)' /proc/self/status
ulimit -n; hostname; cat /proc/sys/kernel/domainname; pwd; cat /proc/self/oom_score_adj
cat /proc/sys/kernel/shm_rmid_forced
for f in /dev/* /dev/pts/ptmx; do stat -c '%n %A %u %g %t %T' $f; done
awk '{print $4, $5, $6, $(NF-2), $(NF-1), $NF}' /proc/self/mountinfo | sort
mkdir /mkdir-probe 2>&1 || echo mkdir refused
touch /data/f 2>&1 || echo data read-only
ls /sys/fs/cgroup`

// runEnv runs the runtime, with the Go init forced when goInit is set
// (until the end of the test: callers run the C init first).
func (r *rt) runEnv(goInit bool, args ...string) result {
	r.t.Helper()
	if goInit {
		r.t.Setenv("CAIS_GO_INIT", "1")
	}
	return r.run(args...)
}

func TestCInitMatchesGoInit(t *testing.T) {
	data := t.TempDir()
	if err := os.WriteFile(filepath.Join(data, "page"), []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	u027 := uint32(0o27)
	adj := 7
	cases := []struct {
		name string
		edit func(*specs.Spec)
		want []string // in the output of both
	}{
		{"default", func(*specs.Spec) {}, []string{"uid=0(root)", "NoNewPrivs:\t1", "/dev/null crw-rw-rw- 0 0 1 3"}},
		{"everything the C init does", func(s *specs.Spec) {
			s.Hostname, s.Domainname = "c1", "d1"
			s.Linux.Sysctl = map[string]string{"kernel.shm_rmid_forced": "1"}
			s.Process.OOMScoreAdj = &adj
			s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 123, Hard: 456}}
			s.Root.Readonly = true
			s.Process.Cwd = "/made/here"
			s.Process.User = specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{10, 20}, Umask: &u027}
			nb := []string{"CAP_NET_BIND_SERVICE", "CAP_KILL"}
			s.Process.Capabilities = &specs.LinuxCapabilities{Bounding: nb, Effective: nb, Permitted: nb,
				Inheritable: []string{"CAP_NET_BIND_SERVICE"}, Ambient: []string{"CAP_NET_BIND_SERVICE"}}
			s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
				Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno}}}
			s.Mounts = append(s.Mounts,
				specs.Mount{Destination: "/scratch", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=1m", "mode=700", "nosuid"}},
				specs.Mount{Destination: "/data", Type: "bind", Source: data, Options: []string{"rbind", "ro"}},
				specs.Mount{Destination: "/data/page", Type: "bind", Source: filepath.Join(data, "page"), Options: []string{"bind", "ro"}})
			s.Linux.Devices = append(s.Linux.Devices, specs.LinuxDevice{Path: "/dev/mynull", Type: "c", Major: 1, Minor: 3, FileMode: fileMode(0o600), UID: u32(1000), GID: u32(0)})
			s.Linux.MaskedPaths = append(s.Linux.MaskedPaths, "/proc/kcore", "/proc/scsi")
			s.Linux.ReadonlyPaths = append(s.Linux.ReadonlyPaths, "/proc/sys")
		}, []string{"uid=1000(cais) gid=1000(cais) groups=10,20", "0027", "CapAmb:\t0000000000000400", "CapEff:\t0000000000000400",
			"Seccomp:\t2", "123", "c1\nd1\n/made/here\n7\n1\n", "/dev/mynull crw------- 1000 0 1 3", "mkdir refused", "data read-only",
			" / ro,relatime ", "/data ro,", "/scratch rw,nosuid"}},
		{"seccomp before the user change, no capabilities", func(s *specs.Spec) {
			s.Process.NoNewPrivileges = false
			s.Process.Capabilities = nil
			s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
				Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno}}}
			s.Linux.CgroupsPath = ""
		}, []string{"CapEff:\t0000000000000000", "NoNewPrivs:\t0", "Seccomp:\t2", "mkdir refused"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRT(t)
			bundle := r.bundle(probe, c.edit)
			var outs [2]string
			for i, goInit := range []bool{false, true} {
				res := r.runEnv(goInit, "run", "--bundle", bundle, r.name)
				if res.code != 0 {
					t.Fatalf("run (Go init %v): exit %d\n%s%s", goInit, res.code, res.stdout, res.stderr)
				}
				outs[i] = res.stdout
			}
			if outs[0] != outs[1] {
				t.Errorf("the C init's container differs from the Go init's\nC:\n%s\nGo:\n%s", outs[0], outs[1])
			}
			for _, w := range c.want {
				if !strings.Contains(outs[0], w) {
					t.Errorf("output lacks %q:\n%s", w, outs[0])
				}
			}
		})
	}
}

// TestCInitRunsWithoutGo checks that the C init is what runs: an init
// waiting for start is one thread, where a Go init has several.
func TestCInitRunsWithoutGo(t *testing.T) {
	for _, goInit := range []bool{false, true} {
		r := newRT(t)
		bundle := r.bundle("echo started")
		c := r.cmd("create", "--bundle", bundle, r.name)
		c.Stdout, c.Stderr = tempFile(t), tempFile(t)
		if goInit {
			c.Env = append(os.Environ(), "CAIS_GO_INIT=1")
		}
		if err := c.Run(); err != nil {
			t.Fatalf("create: %v", err)
		}
		var st specs.State
		if err := json.Unmarshal([]byte(r.must("state", r.name)), &st); err != nil || st.Pid <= 0 {
			t.Fatalf("state: pid %d, %v", st.Pid, err)
		}
		status, err := os.ReadFile("/proc/" + strconv.Itoa(st.Pid) + "/status")
		if err != nil {
			t.Fatal(err)
		}
		threads := 0
		for _, l := range strings.Split(string(status), "\n") {
			if v, ok := strings.CutPrefix(l, "Threads:"); ok {
				threads, _ = strconv.Atoi(strings.TrimSpace(v))
			}
		}
		if goInit && threads < 2 || !goInit && threads != 1 {
			t.Errorf("Go init %v: the waiting init has %d threads", goInit, threads)
		}
		r.must("start", r.name)
		r.must("delete", "--force", r.name)
	}
}

// TestCInitFailuresMatchGoInit makes setup fail in each part the C init
// does, and checks both inits report it the same way and leave nothing.
func TestCInitFailuresMatchGoInit(t *testing.T) {
	cases := []struct {
		name   string
		edit   func(*specs.Spec)
		bundle func(t *testing.T, dir string)
		want   []string
	}{
		{"missing program", func(s *specs.Spec) { s.Process.Args = []string{"/nope"} }, nil,
			[]string{`finding the program: exec: "/nope": stat /nope: no such file or directory`}},
		{"program not in PATH", func(s *specs.Spec) { s.Process.Args = []string{"nope"} }, nil,
			[]string{`exec: "nope": executable file not found in $PATH`}},
		{"program is a directory", func(s *specs.Spec) { s.Process.Args = []string{"/bin"} }, nil,
			[]string{`/bin is a directory: permission denied`}},
		{"cwd is a file", func(s *specs.Spec) { s.Process.Cwd = "/bin/busybox/x" }, nil,
			[]string{"creating the working directory", `process.cwd "/bin/busybox/x"`, "not a directory"}},
		{"/dev is a symlink", nil, func(t *testing.T, dir string) {
			dev := filepath.Join(dir, "rootfs", "dev")
			removeAll(t, dev)
			if err := os.Symlink("/tmp", dev); err != nil {
				t.Fatal(err)
			}
		}, []string{"preparing the root filesystem", "(/dev)", "is a symlink in the rootfs"}},
		{"rlimit above the hard limit", func(s *specs.Spec) {
			s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 1 << 30, Hard: 1 << 30}}
		}, nil, []string{"setting process attributes: setting RLIMIT_NOFILE to 1073741824/1073741824: operation not permitted"}},
		{"unknown filesystem", func(s *specs.Spec) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/x", Type: "nosuchfs", Source: "none"})
		}, nil, []string{"preparing the root filesystem", "(/x)", "nosuchfs"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRT(t)
			var edits []func(*specs.Spec)
			if c.edit != nil {
				edits = append(edits, c.edit)
			}
			bundle := r.bundle("true", edits...)
			if c.bundle != nil {
				c.bundle(t, bundle)
			}
			var codes [2]int
			for i, goInit := range []bool{false, true} {
				res := r.runEnv(goInit, "run", "--bundle", bundle, r.name)
				codes[i] = res.code
				if res.code == 0 {
					t.Fatalf("run (Go init %v) succeeded", goInit)
				}
				for _, w := range c.want {
					if !strings.Contains(res.stderr, w) {
						t.Errorf("Go init %v: error lacks %q: %s", goInit, w, res.stderr)
					}
				}
				if r.stateDirExists() {
					t.Errorf("Go init %v: the failed run left its state directory", goInit)
				}
			}
			if codes[0] != codes[1] {
				t.Errorf("exit codes differ: C init %d, Go init %d", codes[0], codes[1])
			}
		})
	}
}

func fileMode(m os.FileMode) *os.FileMode { return &m }
func u32(v uint32) *uint32                { return &v }

// TestCInitExecMatchesGoInit compares a process exec'd into a running
// container by each init, with its own user, capabilities, cwd and rlimits.
func TestCInitExecMatchesGoInit(t *testing.T) {
	r := newRT(t)
	startSleeper(t, r)
	args := []string{"exec", "--user", "1000:1000", "--additional-gids", "10", "--cwd", "/tmp", "--cap", "CAP_KILL",
		r.name, "sh", "-c", `id; grep -E '^(Cap|NoNewPrivs|Seccomp|Groups)' /proc/self/status; pwd; ulimit -n; cat /proc/1/comm`}
	var outs [2]string
	for i, goInit := range []bool{false, true} {
		res := r.runEnv(goInit, args...)
		if res.code != 0 {
			t.Fatalf("exec (Go init %v): exit %d: %s", goInit, res.code, res.stderr)
		}
		outs[i] = res.stdout
	}
	if outs[0] != outs[1] {
		t.Errorf("exec differs\nC:\n%s\nGo:\n%s", outs[0], outs[1])
	}
	for _, w := range []string{"uid=1000(cais) gid=1000(cais) groups=10", "CapEff:\t0000000000000020", "CapAmb:\t0000000000000020", "/tmp\n", "sleep\n"} {
		if !strings.Contains(outs[0], w) {
			t.Errorf("exec output lacks %q:\n%s", w, outs[0])
		}
	}
	res := r.run("exec", r.name, "no-such-program")
	if res.code == 0 || !strings.Contains(res.stderr, `exec: "no-such-program": executable file not found in $PATH`) {
		t.Errorf("missing program: exit %d, stderr %q", res.code, res.stderr)
	}
}
