package rootfs

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/fixture"
	"github.com/cais-project/cais/internal/testgate"
)

// result is what a child init printed and how it ended.
type result struct {
	stdout, stderr string
	code           int
}

// runContainer runs the child init on bundle in new mount, pid, uts, ipc,
// net and cgroup namespaces, and the script inside the new root. It checks
// afterwards that nothing of the bundle stays mounted on the host.
func runContainer(t *testing.T, bundle string, cfg childConfig) result {
	t.Helper()
	cfg.Bundle = bundle
	cj, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(cj))
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWUTS |
			syscall.CLONE_NEWIPC | syscall.CLONE_NEWNET | syscall.CLONE_NEWCGROUP,
		Pdeathsig: syscall.SIGKILL,
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("running child: %v", err)
	}
	if r.code == exitHarness {
		t.Fatalf("child harness failed: %s", r.stderr)
	}
	assertNothingMounted(t, bundle)
	return r
}

// assertNothingMounted checks the test process's own mount table: the
// container's mounts lived in its namespace and must not show on the host.
func assertNothingMounted(t *testing.T, dirs ...string) {
	t.Helper()
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(mi), "\n") {
		for _, d := range dirs {
			if strings.Contains(line, d) {
				t.Errorf("host mount table holds %q after the container exited", line)
			}
		}
	}
}

// mountEntry is one line of /proc/self/mountinfo as the container saw it.
type mountEntry struct {
	point, fstype, opts, optional string
}

func parseMountinfo(t *testing.T, out string) map[string]mountEntry {
	t.Helper()
	m := map[string]mountEntry{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 10 {
			continue
		}
		sep := -1
		for i, x := range f {
			if x == "-" {
				sep = i
				break
			}
		}
		if sep < 0 || sep+1 >= len(f) {
			continue
		}
		// Later lines stack on earlier ones; keep the top.
		m[f[4]] = mountEntry{point: f[4], fstype: f[sep+1], opts: f[5], optional: strings.Join(f[6:sep], " ")}
	}
	return m
}

// section returns the lines between "== name" and the next "== " marker.
func section(out, name string) string {
	_, after, ok := strings.Cut(out, "== "+name+"\n")
	if !ok {
		return ""
	}
	before, _, _ := strings.Cut(after, "== ")
	return before
}

func hasOpts(opts string, want ...string) bool {
	have := map[string]bool{}
	for _, o := range strings.Split(opts, ",") {
		have[o] = true
	}
	for _, w := range want {
		if !have[w] {
			return false
		}
	}
	return true
}

const viewScript = `
echo "== mountinfo"; cat /proc/self/mountinfo
echo "== dev"; for f in /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty /dev/kmsg-like; do stat -c '%n %F %t:%T %a %u:%g' $f; done
echo "== links"; for f in /dev/fd /dev/stdin /dev/stdout /dev/stderr /dev/ptmx /dev/core; do echo "$f -> $(readlink $f)"; done
echo "== writable"
# busybox test -w is always true for root: try to write instead.
for f in /probe /tmp/probe /dev/shm/probe; do if touch $f 2>/dev/null; then echo "$f yes"; else echo "$f no"; fi; done
if echo x > /proc/sys/kernel/hostname 2>/dev/null; then echo "/proc/sys yes"; else echo "/proc/sys no"; fi
echo "== masked"; stat -c '%n %F %t:%T' /proc/keys /proc/timer_list; find /sys/firmware /proc/acpi -mindepth 1 | wc -l; cat /proc/keys | wc -c
echo "== pid"; echo $$
echo "== end"
`

func TestContainerView(t *testing.T) {
	testgate.Root(t)
	bundle := fixture.Bundle(t, func(s *specs.Spec) {
		mode := os.FileMode(0o640)
		uid, gid := uint32(1000), uint32(5)
		s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/kmsg-like", Type: "c", Major: 1, Minor: 11, FileMode: &mode, UID: &uid, GID: &gid}}
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "size=1m"}})
	})
	r := runContainer(t, bundle, childConfig{Script: viewScript})
	if r.code != 0 {
		t.Fatalf("container exited %d: %s", r.code, r.stderr)
	}
	mounts := parseMountinfo(t, section(r.stdout, "mountinfo"))
	wantMounts := []struct {
		point, fstype string
		opts          []string
	}{
		{"/", "", []string{"ro"}},
		{"/proc", "proc", []string{"rw"}},
		{"/dev", "tmpfs", []string{"nosuid"}},
		{"/dev/pts", "devpts", []string{"nosuid", "noexec"}},
		{"/dev/shm", "tmpfs", []string{"nosuid", "nodev", "noexec"}},
		{"/dev/mqueue", "mqueue", []string{"nosuid", "nodev", "noexec"}},
		{"/sys", "sysfs", []string{"ro", "nosuid", "nodev", "noexec"}},
		{"/sys/fs/cgroup", "cgroup2", []string{"ro", "nosuid", "nodev", "noexec"}},
		{"/tmp", "tmpfs", []string{"rw", "nosuid"}},
		// Read-only paths keep the flags of the proc mount and add ro.
		{"/proc/sys", "proc", []string{"ro"}},
		{"/proc/irq", "proc", []string{"ro"}},
		// Masked files are covered by the container's /dev/null, on /dev's tmpfs.
		{"/proc/keys", "tmpfs", nil},
		{"/sys/firmware", "tmpfs", []string{"ro"}},
		{"/proc/acpi", "tmpfs", []string{"ro"}},
	}
	for _, w := range wantMounts {
		got, ok := mounts[w.point]
		if !ok {
			t.Errorf("no mount at %s in the container; mountinfo:\n%s", w.point, section(r.stdout, "mountinfo"))
			continue
		}
		if w.fstype != "" && got.fstype != w.fstype {
			t.Errorf("%s: type %s, want %s", w.point, got.fstype, w.fstype)
		}
		if !hasOpts(got.opts, w.opts...) {
			t.Errorf("%s: options %s, want %v", w.point, got.opts, w.opts)
		}
	}
	for _, m := range mounts {
		if strings.Contains(m.optional, "shared:") {
			t.Errorf("%s is shared (%s): mounts could propagate to the host", m.point, m.optional)
		}
	}

	wantDev := "/dev/null character special file 1:3 666 0:0\n" +
		"/dev/zero character special file 1:5 666 0:0\n" +
		"/dev/full character special file 1:7 666 0:0\n" +
		"/dev/random character special file 1:8 666 0:0\n" +
		"/dev/urandom character special file 1:9 666 0:0\n" +
		"/dev/tty character special file 5:0 666 0:0\n" +
		"/dev/kmsg-like character special file 1:b 640 1000:5\n"
	if got := section(r.stdout, "dev"); got != wantDev {
		t.Errorf("devices:\n%s\nwant:\n%s", got, wantDev)
	}
	wantLinks := "/dev/fd -> /proc/self/fd\n/dev/stdin -> /proc/self/fd/0\n/dev/stdout -> /proc/self/fd/1\n" +
		"/dev/stderr -> /proc/self/fd/2\n/dev/ptmx -> pts/ptmx\n"
	if _, err := os.Stat("/proc/kcore"); err == nil {
		wantLinks += "/dev/core -> /proc/kcore\n"
	} else {
		wantLinks += "/dev/core -> \n"
	}
	if got := section(r.stdout, "links"); got != wantLinks {
		t.Errorf("links:\n%s\nwant:\n%s", got, wantLinks)
	}
	wantW := "/probe no\n/tmp/probe yes\n/dev/shm/probe yes\n/proc/sys no\n"
	if got := section(r.stdout, "writable"); got != wantW {
		t.Errorf("writable:\n%s\nwant:\n%s", got, wantW)
	}
	// Masked directories are empty, masked files read as empty.
	wantMasked := "/proc/keys character special file 1:3\n/proc/timer_list character special file 1:3\n0\n0\n"
	if got := section(r.stdout, "masked"); got != wantMasked {
		t.Errorf("masked:\n%s\nwant:\n%s", got, wantMasked)
	}
	if got := section(r.stdout, "pid"); got != "1\n" {
		t.Errorf("shell pid %q, want 1 (proc of the new pid namespace)", got)
	}
}
