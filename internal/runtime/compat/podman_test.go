package compat

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cais-project/cais/internal/fixture"
	"github.com/cais-project/cais/internal/testgate"
)

const podmanBin = "/usr/bin/podman"

// podman runs Podman with all its storage and state under one temp dir and
// cais-runtime as its OCI runtime.
type podman struct {
	dir, bin, name string
}

func newPodman(t *testing.T) *podman {
	t.Helper()
	testgate.Root(t)
	testgate.Binary(t, podmanBin)
	testgate.Binary(t, "/usr/bin/conmon")
	name := fixture.Name(t)
	fixture.CheckLeaks(t, name)
	removeCgroupParent(t, name)
	// Podman keeps a blob-info cache under /var/lib/containers whatever its
	// --root.
	removeEmptyHostDirs(t, "/var/lib/containers", "/var/lib/containers/cache",
		"/var/lib/containers/cache/blob-info-cache-v1.boltdb")
	p := &podman{dir: t.TempDir(), bin: fixture.Binary(t, "cais-runtime"), name: name}
	t.Cleanup(func() {
		p.cmd("rm", "-a", "-f", "-t", "0").Run()
		// conmon runs `podman container cleanup` when a container exits;
		// let those finish before looking for leftovers.
		deadline := time.Now().Add(20 * time.Second)
		for processesWith(p.dir) && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		if killed := killByCmdline(p.dir); len(killed) > 0 {
			t.Errorf("processes left: %s", strings.Join(killed, "; "))
		}
		// The runroot holds the containers' shm mounts.
		checkNoMounts(t, p.dir)
	})
	must(t, p.cmd("load", "-i", imageArchive(t)))
	return p
}

func (p *podman) cmd(args ...string) *exec.Cmd {
	base := []string{
		"--root", filepath.Join(p.dir, "root"),
		"--runroot", filepath.Join(p.dir, "runroot"),
		"--tmpdir", filepath.Join(p.dir, "tmp"),
		"--runtime", p.bin,
		"--cgroup-manager", "cgroupfs",
		"--events-backend", "file",
		"--storage-driver", "vfs",
		"--network-config-dir", filepath.Join(p.dir, "cni"),
	}
	c := exec.Command(podmanBin, append(base, args...)...)
	c.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+filepath.Join(p.dir, "xdg"), "XDG_CONFIG_HOME="+filepath.Join(p.dir, "config"))
	return c
}

// run starts a container under the test's cgroup parent, without
// networking, with nofile and nproc limits root can set here: root lacks
// CAP_SYS_RESOURCE, and Podman's defaults (1048576) exceed the hard limits
// (20000 and 96365), which runc refuses just the same.
func (p *podman) run(args ...string) *exec.Cmd {
	base := []string{"run", "--network", "none", "--cgroup-parent", "/cais-test/" + p.name,
		"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096"}
	return p.cmd(append(base, args...)...)
}

func TestPodmanRun(t *testing.T) {
	p := newPodman(t)
	r := run(t, p.run("--rm", "--hostname", "h-"+p.name, imageName, "sh", "-c", "hostname; ulimit -n; exit 3"))
	if r.code != 3 || r.stdout != "h-"+p.name+"\n1024\n" {
		t.Errorf("podman run: want exit 3, hostname and nofile 1024, got %s", r)
	}
}

func TestPodmanExec(t *testing.T) {
	p := newPodman(t)
	must(t, p.run("-d", "--name", p.name, imageName, "sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"))
	t.Run("driven by cais-runtime", func(t *testing.T) {
		out := must(t, p.cmd("inspect", "-f", "{{.OCIRuntime}}", p.name))
		if strings.TrimSpace(out) != p.bin {
			t.Errorf("OCIRuntime = %q, want %s", out, p.bin)
		}
	})
	t.Run("exec", func(t *testing.T) {
		r := run(t, p.cmd("exec", p.name, "sh", "-c", "echo hi; exit 4"))
		if r.code != 4 || r.stdout != "hi\n" {
			t.Errorf("podman exec: want exit 4 and hi, got %s", r)
		}
	})
	t.Run("stop", func(t *testing.T) {
		must(t, p.cmd("stop", "-t", "5", p.name))
		out := strings.TrimSpace(must(t, p.cmd("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", p.name)))
		if out != "exited 0" {
			t.Errorf("after stop: %q, want exited 0 (the TERM trap)", out)
		}
		must(t, p.cmd("rm", p.name))
	})
}
