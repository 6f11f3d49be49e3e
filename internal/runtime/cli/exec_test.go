package cli_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// startSleeper runs a detached container whose init sleeps.
func startSleeper(t *testing.T, r *rt, edits ...func(*specs.Spec)) int {
	t.Helper()
	r.must("run", "--detach", "--bundle", r.bundle("exec sleep 300", edits...), r.name)
	return state(t, r).Pid
}

func TestExecJoinsTheContainer(t *testing.T) {
	r := newRT(t)
	initPid := startSleeper(t, r)
	out := r.must("exec", r.name, "sh", "-c", `echo host=$(hostname); echo init=$(cat /proc/1/comm); echo self=$$; for ns in mnt net uts ipc; do readlink /proc/self/ns/$ns; done`)
	if !strings.Contains(out, "host="+r.name+"\n") || !strings.Contains(out, "init=sleep\n") {
		t.Fatalf("exec does not see the container:\n%s", out)
	}
	if strings.Contains(out, "self=1\n") {
		t.Fatalf("exec'd process is pid 1:\n%s", out)
	}
	for _, ns := range []string{"mnt", "net", "uts", "ipc"} {
		want, err := os.Readlink("/proc/" + strconv.Itoa(initPid) + "/ns/" + ns)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, want) {
			t.Errorf("exec'd process is not in the init's %s namespace %s:\n%s", ns, want, out)
		}
	}
}

func TestExecExitCodeAndErrors(t *testing.T) {
	r := newRT(t)
	startSleeper(t, r)
	if res := r.run("exec", r.name, "sh", "-c", "exit 7"); res.code != 7 {
		t.Errorf("exit code %d, want 7 (%s)", res.code, res.stderr)
	}
	res := r.run("exec", r.name, "no-such-program")
	if res.code == 0 || !strings.Contains(res.stderr, "executable file not found") {
		t.Errorf("missing program: exit %d, stderr %q", res.code, res.stderr)
	}
	res = r.run("exec", r.name, "/etc/passwd")
	if res.code == 0 || !strings.Contains(res.stderr, "permission denied") {
		t.Errorf("non-executable program: exit %d, stderr %q", res.code, res.stderr)
	}
}

func TestExecUserEnvCwd(t *testing.T) {
	r := newRT(t)
	startSleeper(t, r)
	out := r.must("exec", "-u", "1000:1000", "--additional-gids", "65534", "-e", "FOO=bar", "--cwd", "/tmp", r.name,
		"sh", "-c", `echo "$(id -u):$(id -g) $(id -G) $FOO $(pwd)"; grep CapEff /proc/self/status`)
	if !strings.HasPrefix(out, "1000:1000 1000 65534 bar /tmp\n") {
		t.Errorf("exec -u/-e/--cwd: got %q", out)
	}
	if !strings.Contains(out, "CapEff:\t0000000000000000") {
		t.Errorf("a non-root exec kept effective capabilities: %q", out)
	}
}

func TestExecProcessFileDetachPidFile(t *testing.T) {
	r := newRT(t)
	startSleeper(t, r, func(s *specs.Spec) { s.Root.Readonly = false })
	dir := t.TempDir()
	proc := specs.Process{Args: []string{"sh", "-c", "echo $$ > /tmp/pid-inside; exec sleep 300"}, Cwd: "/", Env: []string{"PATH=/bin"}}
	b, _ := json.Marshal(proc)
	pf := filepath.Join(dir, "process.json")
	os.WriteFile(pf, b, 0o600)
	pidFile := filepath.Join(dir, "pid")
	r.must("exec", "--process", pf, "--detach", "--pid-file", pidFile, r.name)
	text, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(string(text))
	cg, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil || !strings.Contains(string(cg), r.name) {
		t.Fatalf("pid file %q does not name a process in the container's cgroup (%q, %v)", text, cg, err)
	}
	// kill --all reaches exec'd processes too.
	r.must("kill", "--all", r.name, "KILL")
	waitFor(t, func() bool { _, err := os.Stat("/proc/" + strconv.Itoa(pid)); return err != nil || isZombie(pid) })
}

func isZombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && len(s) > i+2 && s[i+2] == 'Z'
}

func TestExecInUserNamespace(t *testing.T) {
	r := newRT(t)
	b := r.bundle("exec sleep 300", func(s *specs.Spec) {
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
		s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
		s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	})
	// The init runs as host uid 100000: it must be able to reach the rootfs.
	openPathTo(t, b)
	r.must("run", "--detach", "--bundle", b, r.name)
	out := r.must("exec", r.name, "sh", "-c", "id -u; cat /proc/self/uid_map")
	fields := strings.Fields(out)
	if len(fields) != 4 || fields[0] != "0" || fields[1] != "0" || fields[2] != "100000" || fields[3] != "65536" {
		t.Fatalf("exec in a user namespace: %q", out)
	}
}

func TestExecRefusedWhenStopped(t *testing.T) {
	r := newRT(t)
	r.must("create", "--bundle", r.bundle("true"), r.name)
	r.must("start", r.name)
	waitFor(t, func() bool { return state(t, r).Status == specs.StateStopped })
	if res := r.run("exec", r.name, "true"); res.code == 0 || !strings.Contains(res.stderr, "stopped") {
		t.Fatalf("exec into a stopped container: exit %d, %q", res.code, res.stderr)
	}
}

// TestRuncSpecBundleWithTerminal runs the config.json that Debian's runc
// writes, unchanged (terminal: true, no console socket), under a pty.
func TestRuncSpecBundleWithTerminal(t *testing.T) {
	r := newRT(t)
	if _, err := exec.LookPath("runc"); err != nil {
		t.Skip("runc not installed")
	}
	b := r.bundle("true")
	os.Remove(filepath.Join(b, "config.json"))
	if out, err := exec.Command("runc", "spec", "--bundle", b).CombinedOutput(); err != nil {
		t.Fatalf("runc spec: %v %s", err, out)
	}
	in := filepath.Join(t.TempDir(), "in")
	os.WriteFile(in, []byte("echo tty=$(tty) host=$(hostname)\nexit 3\n"), 0o600)
	// script gives the runtime a terminal on stdin/stdout.
	cmd := exec.Command("script", "-qec", r.bin+" --root "+r.root+" run --bundle "+b+" "+r.name+" < "+in, "/dev/null")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if err == nil || !errorsAs(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("want exit 3, got %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "tty=/dev/pts/0 host=runc") {
		t.Fatalf("container did not get a terminal:\n%s", out)
	}
}

// openPathTo makes every directory from / to dir searchable by others, as a
// bundle used with a user namespace must be (t.TempDir makes them 0700).
func openPathTo(t *testing.T, dir string) {
	t.Helper()
	for d := dir; d != "/" && d != "."; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, fi.Mode().Perm()|0o055); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSecurityLabels: a profile the host cannot apply is refused before
// anything is created (runc does the same); where the host has the LSM the
// container must end up confined by it.
func TestSecurityLabels(t *testing.T) {
	for _, tc := range []struct {
		name    string
		edit    func(*specs.Spec)
		enabled bool
		attr    string
	}{
		{"apparmor", func(s *specs.Spec) { s.Process.ApparmorProfile = "unconfined" }, appArmorHost(), "/proc/self/attr/current"},
		{"selinux", func(s *specs.Spec) { s.Process.SelinuxLabel = "system_u:system_r:container_t:s0" }, seLinuxHost(), "/proc/self/attr/current"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRT(t)
			res := r.run("run", "--bundle", r.bundle("cat "+tc.attr, tc.edit), r.name)
			if tc.enabled {
				if res.code != 0 {
					t.Fatalf("host has %s, but run failed: %s", tc.name, res.stderr)
				}
				return
			}
			t.Logf("host has no %s: the config must be refused", tc.name)
			if res.code == 0 || !strings.Contains(res.stderr, "not enabled on this host") {
				t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
			}
			if r.stateDirExists() {
				t.Fatal("state left behind")
			}
		})
	}
}

func appArmorHost() bool {
	b, err := os.ReadFile("/sys/module/apparmor/parameters/enabled")
	return err == nil && strings.HasPrefix(string(b), "Y")
}

func seLinuxHost() bool {
	_, err := os.Stat("/sys/fs/selinux/enforce")
	return err == nil
}
