package compat

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cais-project/cais/internal/fixture"
	"github.com/cais-project/cais/internal/testgate"
)

const (
	containerdBin = "/usr/bin/containerd"
	ctrBin        = "/usr/bin/ctr"
	// ctrNamespace is the containerd namespace the ctr tests use.
	ctrNamespace = "cais"
)

// containerd is a private containerd daemon: config, root, state, sockets
// and plugin dirs all live under dir.
type containerd struct {
	dir     string
	address string
	cmd     *exec.Cmd
}

// containerdConfig disables every plugin that wants the network, a host
// path we do not own, or kernel features this host lacks, so the daemon
// touches nothing outside its directory.
const containerdConfig = `version = 2
root = %[1]q
state = %[2]q
plugin_dir = %[3]q
disabled_plugins = [
  "io.containerd.grpc.v1.cri",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
]

[grpc]
  address = %[4]q

[ttrpc]
  address = %[5]q

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = %[6]q
`

// startContainerd starts a private containerd for t and registers its
// teardown: tasks killed and deleted, the daemon stopped, its shims killed,
// and a check that nothing stays mounted under its directory.
func startContainerd(t *testing.T) *containerd {
	t.Helper()
	testgate.Root(t)
	testgate.Binary(t, containerdBin)
	testgate.Binary(t, ctrBin)
	// A short directory: unix socket paths are limited to 108 bytes.
	dir, err := os.MkdirTemp("", "cais-ctrd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	removeEmptyHostDirs(t, "/run/containerd", "/run/containerd/fifo", "/run/containerd/s")
	d := &containerd{dir: dir, address: filepath.Join(dir, "containerd.sock")}
	cfg := fmt.Sprintf(containerdConfig,
		filepath.Join(dir, "root"), filepath.Join(dir, "state"), filepath.Join(dir, "plugins"),
		d.address, d.address+".ttrpc", filepath.Join(dir, "opt"))
	cfgPath := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "containerd.log"))
	if err != nil {
		t.Fatal(err)
	}
	d.cmd = exec.Command(containerdBin, "--config", cfgPath)
	d.cmd.Stdout, d.cmd.Stderr = logf, logf
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("starting containerd: %v", err)
	}
	logf.Close()
	t.Cleanup(func() { d.stop(t) })
	waitFor(t, "containerd's socket", 30*time.Second, func() bool {
		return exec.Command(ctrBin, "--address", d.address, "version").Run() == nil
	})
	return d
}

// stop tears the daemon down, whatever state the test left it in.
func (d *containerd) stop(t *testing.T) {
	t.Helper()
	if t.Failed() {
		if b, err := os.ReadFile(filepath.Join(d.dir, "containerd.log")); err == nil {
			t.Logf("containerd log (warnings and errors):\n%s", problems(string(b)))
		}
	}
	for _, ns := range d.namespaces() {
		for _, id := range d.list(ns, "tasks") {
			exec.Command(ctrBin, "--address", d.address, "-n", ns, "task", "kill", "-s", "SIGKILL", id).Run()
			exec.Command(ctrBin, "--address", d.address, "-n", ns, "task", "rm", "-f", id).Run()
		}
		for _, id := range d.list(ns, "containers") {
			exec.Command(ctrBin, "--address", d.address, "-n", ns, "container", "rm", id).Run()
		}
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { d.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		d.cmd.Process.Kill()
		<-done
	}
	if killed := killByCmdline(d.dir); len(killed) > 0 {
		t.Logf("killed leftover processes: %s", strings.Join(killed, "; "))
	}
	checkNoMounts(t, d.dir)
}

func (d *containerd) namespaces() []string {
	out, err := exec.Command(ctrBin, "--address", d.address, "namespaces", "ls", "-q").Output()
	if err != nil {
		return nil
	}
	return strings.Fields(string(out))
}

func (d *containerd) list(ns, what string) []string {
	out, err := exec.Command(ctrBin, "--address", d.address, "-n", ns, what, "ls", "-q").Output()
	if err != nil {
		return nil
	}
	return strings.Fields(string(out))
}

// ctr returns a ctr command in namespace ns against this daemon.
func (d *containerd) ctr(ns string, args ...string) *exec.Cmd {
	return exec.Command(ctrBin, append([]string{"--address", d.address, "-n", ns}, args...)...)
}

// ctrSetup starts containerd, imports the busybox image and returns the
// daemon, the cais-runtime binary, the runtime root and the test's name
// (used as container id and in the cgroup path).
func ctrSetup(t *testing.T) (d *containerd, bin, runcRoot, name string) {
	t.Helper()
	testgate.Root(t)
	name = fixture.Name(t)
	fixture.CheckLeaks(t, name)
	bin = fixture.Binary(t, "cais-runtime")
	d = startContainerd(t)
	must(t, d.ctr(ctrNamespace, "images", "import", imageArchive(t)))
	return d, bin, filepath.Join(d.dir, "runtime-root"), name
}

// runArgs are the `ctr run` flags that put cais-runtime under the runc shim.
func runArgs(bin, runcRoot, name string, extra ...string) []string {
	args := []string{"run", "--runc-binary", bin, "--runc-root", runcRoot, "--cgroup", "/cais-test/" + name}
	return append(args, extra...)
}

func TestContainerdRunExitCode(t *testing.T) {
	d, bin, runcRoot, name := ctrSetup(t)
	args := runArgs(bin, runcRoot, name, "--rm", imageName, name, "sh", "-c", "echo out-$((40+2)); exit 3")
	r := run(t, d.ctr(ctrNamespace, args...))
	if r.code != 3 {
		t.Fatalf("ctr run: want exit 3, got %s", r)
	}
	if !strings.Contains(r.stdout, "out-42") {
		t.Errorf("ctr run stdout = %q, want out-42", r.stdout)
	}
	if left := d.list(ctrNamespace, "containers"); len(left) != 0 {
		t.Errorf("containers left after --rm: %v", left)
	}
}

// TestContainerdTask drives one long-running container through the task
// verbs containerd's runc shim maps onto the runtime's command line.
func TestContainerdTask(t *testing.T) {
	d, bin, runcRoot, name := ctrSetup(t)
	script := `trap "exit 7" TERM; while true; do sleep 0.1; done`
	must(t, d.ctr(ctrNamespace, runArgs(bin, runcRoot, name, "-d", imageName, name, "sh", "-c", script)...))

	t.Run("driven by cais-runtime", func(t *testing.T) {
		// The shim calls the binary with --root <runc root>/<namespace>:
		// our own state command knows the container.
		out := must(t, exec.Command(bin, "--root", filepath.Join(runcRoot, ctrNamespace), "state", name))
		if !strings.Contains(out, `"status": "running"`) && !strings.Contains(out, `"status":"running"`) {
			t.Errorf("cais-runtime state: %s, want running", out)
		}
	})
	t.Run("exec", func(t *testing.T) {
		r := run(t, d.ctr(ctrNamespace, "task", "exec", "--exec-id", "e1", name, "sh", "-c", "echo hi; cat /proc/self/cgroup | grep -c "+name+"; exit 4"))
		if r.code != 4 || !strings.HasPrefix(r.stdout, "hi\n") {
			t.Errorf("ctr task exec: want exit 4 and hi, got %s", r)
		}
	})
	t.Run("pause and resume", func(t *testing.T) {
		must(t, d.ctr(ctrNamespace, "task", "pause", name))
		if got := d.taskStatus(t, name); got != "PAUSED" {
			t.Errorf("after pause: status %s, want PAUSED", got)
		}
		if got := freezerState(t, "/cais-test/"+name); got != "FROZEN" {
			t.Errorf("after pause: freezer.state %s, want FROZEN", got)
		}
		must(t, d.ctr(ctrNamespace, "task", "resume", name))
		if got := d.taskStatus(t, name); got != "RUNNING" {
			t.Errorf("after resume: status %s, want RUNNING", got)
		}
		if got := freezerState(t, "/cais-test/"+name); got != "THAWED" {
			t.Errorf("after resume: freezer.state %s, want THAWED", got)
		}
	})
	t.Run("metrics", func(t *testing.T) {
		out := must(t, d.ctr(ctrNamespace, "task", "metrics", name))
		for _, want := range []string{"memory.usage_in_bytes", "pids.current"} {
			if !strings.Contains(out, want) {
				t.Errorf("ctr task metrics: no %s in\n%s", want, out)
			}
		}
	})
	t.Run("kill", func(t *testing.T) {
		must(t, d.ctr(ctrNamespace, "task", "kill", name))
		waitFor(t, "the task to stop", 20*time.Second, func() bool { return d.taskStatus(t, name) == "STOPPED" })
		// ctr task rm reports the task's exit status as a warning.
		if r := run(t, d.ctr(ctrNamespace, "task", "rm", name)); r.code != 0 || !strings.Contains(r.stderr, "exit code 7") {
			t.Errorf("ctr task rm after SIGTERM: want exit 7 (the trap), got %s", r)
		}
		must(t, d.ctr(ctrNamespace, "container", "rm", name))
		if _, err := os.Stat(filepath.Join(runcRoot, ctrNamespace, name)); !os.IsNotExist(err) {
			t.Errorf("runtime state dir after task rm: %v, want not exist", err)
		}
	})
}

// TestContainerdTerminal runs `ctr run -t` under script(1), which gives ctr
// the terminal it insists on.
func TestContainerdTerminal(t *testing.T) {
	testgate.Binary(t, "/usr/bin/script")
	d, bin, runcRoot, name := ctrSetup(t)
	args := append([]string{ctrBin, "--address", d.address, "-n", ctrNamespace},
		runArgs(bin, runcRoot, name, "-t", "--rm", imageName, name, "sh", "-c", "tty; stty size; exit 5")...)
	r := run(t, exec.Command("/usr/bin/script", "-qec", shellQuote(args), "/dev/null"))
	if r.code != 5 {
		t.Fatalf("ctr run -t: want exit 5, got %s", r)
	}
	if !strings.Contains(r.stdout, "/dev/pts/0") {
		t.Errorf("ctr run -t: tty printed %q, want /dev/pts/0", r.stdout)
	}
}

func (d *containerd) taskStatus(t *testing.T, id string) string {
	t.Helper()
	out := must(t, d.ctr(ctrNamespace, "task", "ls"))
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == id {
			return f[2]
		}
	}
	t.Fatalf("task %s not in ctr task ls:\n%s", id, out)
	return ""
}

func freezerState(t *testing.T, cgroup string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/sys/fs/cgroup/freezer", cgroup, "freezer.state"))
	if err != nil {
		t.Fatalf("reading freezer state: %v", err)
	}
	return strings.TrimSpace(string(b))
}

// shellQuote joins args into one sh command line.
func shellQuote(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}
