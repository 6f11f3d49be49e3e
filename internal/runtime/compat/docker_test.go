package compat

import (
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
	dockerdBin = "/usr/sbin/dockerd"
	// dockerBin is Debian's client; another docker client may come first in
	// PATH.
	dockerBin = "/usr/bin/docker"
)

// dockerd is a private Docker daemon on a private containerd, with
// cais-runtime registered as the runtime "cais".
type dockerd struct {
	dir  string
	host string
	name string
	bin  string // cais-runtime
	cmd  *exec.Cmd
}

// startDockerd starts containerd and dockerd for t under one temp dir, loads
// the busybox image, and registers their teardown. Every container's cgroup
// lands under /cais-test/<test name>, where the leak check looks.
func startDockerd(t *testing.T) *dockerd {
	t.Helper()
	testgate.Root(t)
	testgate.Binary(t, dockerdBin)
	testgate.Binary(t, dockerBin)
	name := fixture.Name(t)
	fixture.CheckLeaks(t, name)
	removeCgroupParent(t, name)
	bin := fixture.Binary(t, "cais-runtime")
	// dockerd writes its trust key and a plugin directory on the host
	// whatever its roots are; remove them if they are ours.
	removeEmptyHostDirs(t, "/etc/docker/key.json", "/run/docker", "/run/docker/plugins")
	ctrd := startContainerd(t)
	dir := ctrd.dir
	d := &dockerd{dir: dir, host: "unix://" + filepath.Join(dir, "docker.sock"), name: name, bin: bin}
	cfg := filepath.Join(dir, "daemon.json")
	if err := os.WriteFile(cfg, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "dockerd.log"))
	if err != nil {
		t.Fatal(err)
	}
	d.cmd = exec.Command(dockerdBin,
		"--config-file", cfg,
		"--data-root", filepath.Join(dir, "docker"),
		"--exec-root", filepath.Join(dir, "dexec"),
		"--pidfile", filepath.Join(dir, "docker.pid"),
		"-H", d.host,
		"--containerd", ctrd.address,
		"--bridge=none", "--iptables=false", "--ip6tables=false", "--ip-forward=false", "--ip-masq=false",
		"--userland-proxy=false",
		"--storage-driver", "overlay2",
		"--cgroup-parent", "/cais-test/"+name,
		"--add-runtime", "cais="+bin,
	)
	d.cmd.Stdout, d.cmd.Stderr = logf, logf
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("starting dockerd: %v", err)
	}
	logf.Close()
	t.Cleanup(func() { d.stop(t) })
	waitFor(t, "dockerd's socket", 60*time.Second, func() bool {
		return exec.Command(dockerBin, "-H", d.host, "version").Run() == nil
	})
	must(t, d.docker("load", "-i", imageArchive(t)))
	return d
}

// stop removes every container, then stops dockerd; containerd's own
// cleanup, registered earlier, runs after this.
func (d *dockerd) stop(t *testing.T) {
	t.Helper()
	if t.Failed() {
		if b, err := os.ReadFile(filepath.Join(d.dir, "dockerd.log")); err == nil {
			t.Logf("dockerd log (warnings and errors):\n%s", problems(string(b)))
		}
	}
	if out, err := d.docker("ps", "-aq").Output(); err == nil {
		for _, id := range strings.Fields(string(out)) {
			d.docker("rm", "-f", id).Run()
		}
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { d.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		d.cmd.Process.Kill()
		<-done
	}
}

func (d *dockerd) docker(args ...string) *exec.Cmd {
	c := exec.Command(dockerBin, append([]string{"-H", d.host}, args...)...)
	c.Env = append(os.Environ(), "DOCKER_CONFIG="+filepath.Join(d.dir, "docker-client"))
	return c
}

// runFlags start a container on cais-runtime without networking.
var runFlags = []string{"run", "--runtime", "cais", "--network", "none"}

func (d *dockerd) run(args ...string) *exec.Cmd {
	return d.docker(append(append([]string{}, runFlags...), args...)...)
}

func TestDockerRun(t *testing.T) {
	d := startDockerd(t)
	t.Run("exit code and hostname", func(t *testing.T) {
		r := run(t, d.run("--rm", "--hostname", "h-"+d.name, imageName, "sh", "-c", "hostname; exit 3"))
		if r.code != 3 || strings.TrimSpace(r.stdout) != "h-"+d.name {
			t.Errorf("docker run: want exit 3 and hostname h-%s, got %s", d.name, r)
		}
	})
	t.Run("runtime is cais", func(t *testing.T) {
		id := strings.TrimSpace(must(t, d.run("-d", imageName, "sleep", "60")))
		defer d.docker("rm", "-f", id).Run()
		got := strings.TrimSpace(must(t, d.docker("inspect", "-f", "{{.HostConfig.Runtime}}", id)))
		if got != "cais" {
			t.Errorf("HostConfig.Runtime = %q, want cais", got)
		}
		// Wherever the shim put the runtime's --root, our own state command
		// must know the container.
		root := findStateRoot(t, d.dir, id)
		out := must(t, exec.Command(d.bin, "--root", root, "state", id))
		if !strings.Contains(out, `"running"`) {
			t.Errorf("cais-runtime state: %s, want running", out)
		}
	})
	t.Run("default seccomp profile", func(t *testing.T) {
		// Docker's profile denies unshare(CLONE_NEWUSER) without
		// CAP_SYS_ADMIN; unconfined, busybox's unshare -U succeeds.
		script := "grep Seccomp: /proc/self/status; unshare -U true && echo unshared"
		confined := run(t, d.run("--rm", imageName, "sh", "-c", script))
		if !strings.Contains(confined.stdout, "Seccomp:\t2") || strings.Contains(confined.stdout, "unshared") {
			t.Errorf("default profile: want filter mode and unshare denied, got %s", confined)
		}
		unconfined := run(t, d.run("--rm", "--security-opt", "seccomp=unconfined", imageName, "sh", "-c", script))
		if !strings.Contains(unconfined.stdout, "Seccomp:\t0") || !strings.Contains(unconfined.stdout, "unshared") {
			t.Errorf("seccomp=unconfined: want no filter and unshare allowed, got %s", unconfined)
		}
	})
}

// TestDockerLifecycle drives one detached container through exec, pause,
// stats, update and stop.
func TestDockerLifecycle(t *testing.T) {
	d := startDockerd(t)
	// The shell ignores SIGTERM, so docker stop must fall back to SIGKILL.
	id := strings.TrimSpace(must(t, d.run("-d", "--name", d.name, imageName,
		"sh", "-c", "trap '' TERM; while true; do sleep 0.1; done")))

	t.Run("exec", func(t *testing.T) {
		r := run(t, d.docker("exec", id, "sh", "-c", "echo hi; exit 4"))
		if r.code != 4 || r.stdout != "hi\n" {
			t.Errorf("docker exec: want exit 4 and hi, got %s", r)
		}
	})
	t.Run("exec -it", func(t *testing.T) {
		testgate.Binary(t, "/usr/bin/script")
		cmd := d.docker("exec", "-it", id, "sh", "-c", "tty; exit 6")
		r := run(t, exec.Command("/usr/bin/script", "-qec", shellQuote(cmd.Args), "/dev/null"))
		if r.code != 6 || !strings.Contains(r.stdout, "/dev/pts/") {
			t.Errorf("docker exec -it: want exit 6 and a pts, got %s", r)
		}
	})
	t.Run("pause and unpause", func(t *testing.T) {
		must(t, d.docker("pause", id))
		if got := d.status(t, id); got != "paused" {
			t.Errorf("after pause: status %s, want paused", got)
		}
		must(t, d.docker("unpause", id))
		if got := d.status(t, id); got != "running" {
			t.Errorf("after unpause: status %s, want running", got)
		}
	})
	t.Run("stats", func(t *testing.T) {
		out := strings.TrimSpace(must(t, d.docker("stats", "--no-stream", "--format", "{{.PIDs}} {{.MemUsage}}", id)))
		f := strings.Fields(out)
		if len(f) == 0 || f[0] == "0" || f[0] == "--" || strings.HasPrefix(f[1], "0B") {
			t.Errorf("docker stats: %q, want a non-zero pid count and memory use", out)
		}
	})
	t.Run("update memory", func(t *testing.T) {
		must(t, d.docker("update", "--memory", "64m", "--memory-swap", "128m", id))
		got := strings.TrimSpace(must(t, d.docker("exec", id, "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes")))
		if got != "67108864" {
			t.Errorf("memory.limit_in_bytes after update = %s, want 67108864", got)
		}
	})
	t.Run("stop", func(t *testing.T) {
		must(t, d.docker("stop", "-t", "1", id))
		if got := d.status(t, id); got != "exited" {
			t.Errorf("after stop: status %s, want exited", got)
		}
		if got := strings.TrimSpace(must(t, d.docker("inspect", "-f", "{{.State.ExitCode}}", id))); got != "137" {
			t.Errorf("exit code after stop of a TERM-ignoring process = %s, want 137 (SIGKILL)", got)
		}
	})
}

func (d *dockerd) status(t *testing.T, id string) string {
	t.Helper()
	return strings.TrimSpace(must(t, d.docker("inspect", "-f", "{{.State.Status}}", id)))
}

// findStateRoot returns the directory under dir holding <id>/state.json.
func findStateRoot(t *testing.T, dir, id string) string {
	t.Helper()
	var root string
	filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err == nil && e.Name() == "state.json" && filepath.Base(filepath.Dir(p)) == id {
			root = filepath.Dir(filepath.Dir(p))
			return filepath.SkipAll
		}
		return nil
	})
	if root == "" {
		t.Fatalf("no %s/state.json under %s", id, dir)
	}
	return root
}
