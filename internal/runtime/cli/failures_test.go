package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/fixture"
)

// TestFailedCreateLeavesNothing makes create fail at each stage, from
// reading config.json to finding the program, and checks the error names
// the field or step and that nothing is left: no state dir, and (through
// the leak check, the cgroupsPath holding the test's name) no cgroup,
// mount or process.
func TestFailedCreateLeavesNothing(t *testing.T) {
	cases := []struct {
		name string
		// edit changes the spec; bundle, when set, changes the bundle after.
		edit   func(*specs.Spec)
		bundle func(t *testing.T, dir string)
		want   []string
	}{
		{
			name:   "missing rootfs",
			bundle: func(t *testing.T, dir string) { removeAll(t, filepath.Join(dir, "rootfs")) },
			want:   []string{"root.path"},
		},
		{
			name: "wrong type in config.json",
			bundle: func(t *testing.T, dir string) {
				path := filepath.Join(dir, "config.json")
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				s := strings.Replace(string(b), `"uid": 0`, `"uid": "zero"`, 1)
				if s == string(b) {
					t.Fatal("config.json has no \"uid\": 0")
				}
				if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"config.json", "uid"},
		},
		{
			name: "unknown namespace type",
			edit: func(s *specs.Spec) {
				s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "bogus"})
			},
			want: []string{"linux.namespaces", "bogus"},
		},
		{
			name: "impossible uid mapping",
			edit: func(s *specs.Spec) {
				s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
				s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 4294967290, Size: 65536}}
				s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
			},
			want: []string{"uidMappings"},
		},
		{
			name: "overlapping uid mappings the kernel refuses",
			edit: func(s *specs.Spec) {
				s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
				s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 1000}, {ContainerID: 500, HostID: 200000, Size: 1000}}
				s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
			},
			want: []string{"uid_map"},
		},
		{
			name: "prestart hook fails",
			edit: func(s *specs.Spec) {
				//lint:ignore SA1019 prestart is deprecated but runtimes still run it.
				s.Hooks = &specs.Hooks{Prestart: []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", "exit 1"}}}}
			},
			want: []string{"prestart"},
		},
		{
			name: "createRuntime hook times out",
			edit: func(s *specs.Spec) {
				s.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/bin/sleep", Args: []string{"sleep", "60"}, Timeout: ptr(1)}}}
			},
			want: []string{"createRuntime", "timed out"},
		},
		{
			name: "cgroup value the kernel refuses",
			edit: func(s *specs.Spec) {
				s.Linux.Resources.CPU = &specs.LinuxCPU{Cpus: "99"}
			},
			want: []string{"cpuset.cpus"},
		},
		{
			name: "bad mount option on a bind",
			edit: func(s *specs.Spec) {
				s.Mounts = append(s.Mounts, specs.Mount{Destination: "/mnt", Type: "bind", Source: "/etc", Options: []string{"rbind", "nosuchoption=1"}})
			},
			want: []string{"mounts", "nosuchoption"},
		},
		{
			name: "program not found",
			edit: func(s *specs.Spec) { s.Process.Args = []string{"no-such-program"} },
			want: []string{"no-such-program", "executable file not found"},
		},
		{
			name: "program not executable",
			edit: func(s *specs.Spec) { s.Process.Args = []string{"/etc/passwd"} },
			want: []string{"/etc/passwd", "permission denied"},
		},
		{
			name: "unknown seccomp action",
			edit: func(s *specs.Spec) {
				s.Linux.Seccomp = &specs.LinuxSeccomp{
					DefaultAction: specs.ActAllow,
					Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: "SCMP_ACT_BOGUS"}},
				}
			},
			want: []string{"seccomp", "SCMP_ACT_BOGUS"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRT(t)
			b := r.bundle("echo ran", func(s *specs.Spec) {
				if c.edit != nil {
					c.edit(s)
				}
			})
			if c.bundle != nil {
				c.bundle(t, b)
			}
			res := r.run("create", "--bundle", b, r.name)
			if res.code == 0 {
				t.Fatalf("create succeeded; want it to fail naming %q", c.want)
			}
			t.Logf("create: %s", res.stderr)
			for _, w := range c.want {
				if !strings.Contains(res.stderr, w) {
					t.Errorf("stderr lacks %q: %s", w, res.stderr)
				}
			}
			if r.stateDirExists() {
				t.Error("state directory left behind")
			}
			if res := r.run("state", r.name); res.code == 0 {
				t.Errorf("state of the failed container succeeded: %s", res.stdout)
			}
			if leaks := fixture.Leaks(r.name, r.root); len(leaks) > 0 {
				// CheckLeaks reports again after retrying; this says at
				// once that it is the failed create that leaked.
				t.Logf("right after the failed create: %s", strings.Join(leaks, "; "))
			}
		})
	}
}

func removeAll(t *testing.T, path string) {
	t.Helper()
	if err := os.RemoveAll(path); err != nil {
		t.Fatal(err)
	}
}
