package cli_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/cais-project/cais/internal/fixture"
	"github.com/cais-project/cais/internal/testgate"
)

// TestPushedImageRunsInPodman: an image cais imported and pushed is pulled
// and run by Podman (with runc and its own storage under a temp dir).
func TestPushedImageRunsInPodman(t *testing.T) {
	e := newEnv(t)
	testgate.Binary(t, "/usr/bin/podman")
	testgate.Binary(t, "/usr/sbin/runc")
	name := fixture.Name(t)
	fixture.CheckLeaks(t, name)
	// Podman writes these whatever its --root; remove them if it made them.
	removeIfNew(t, "/var/lib/containers", "/var/lib/containers/cache",
		"/var/lib/containers/cache/blob-info-cache-v1.boltdb", "/etc/cni/net.d/cni.lock")
	reg := fixture.Registry(t)
	ref := reg + "/interop/busybox:" + name
	e.must("import", "-c", `CMD ["/bin/sh"]`, fixture.BusyboxRootfs(t), ref)
	e.must("push", ref)

	// Podman refuses a runroot longer than 50 characters: t.TempDir is.
	dir, err := os.MkdirTemp("", "cais-pm-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	podman := func(args ...string) *exec.Cmd {
		base := []string{
			"--root", filepath.Join(dir, "root"), "--runroot", filepath.Join(dir, "runroot"),
			"--tmpdir", filepath.Join(dir, "tmp"), "--runtime", "/usr/sbin/runc",
			"--cgroup-manager", "cgroupfs", "--events-backend", "file", "--storage-driver", "vfs",
			"--network-config-dir", filepath.Join(dir, "cni"),
		}
		return exec.Command("/usr/bin/podman", append(base, args...)...)
	}
	t.Cleanup(func() {
		podman("rm", "-a", "-f", "-t", "0").Run()
		for _, d := range cgroupDirs(name) {
			os.Remove(d)
		}
	})
	out, err := podman("pull", "--tls-verify=false", ref).CombinedOutput()
	if err != nil {
		t.Fatalf("podman pull of what cais pushed: %v\n%s", err, out)
	}
	// Podman's default ulimits exceed what this host's root may set.
	out, err = podman("run", "--rm", "--network", "none", "--cgroup-parent", "/cais-test/"+name,
		"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096",
		ref, "sh", "-c", "echo pushed-by-cais; ls /bin/busybox").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "pushed-by-cais\n/bin/busybox") {
		t.Fatalf("podman run: %v\n%s", err, out)
	}
}

// cgroupDirs lists /cais-test/<name> in every hierarchy, deepest first.
func cgroupDirs(name string) []string {
	var dirs []string
	for _, pattern := range []string{"/sys/fs/cgroup/*/cais-test/" + name, "/sys/fs/cgroup/cais-test/" + name} {
		matches, _ := filepath.Glob(pattern)
		for _, m := range matches {
			filepath.Walk(m, func(p string, fi os.FileInfo, err error) error {
				if err == nil && fi.IsDir() {
					dirs = append(dirs, p)
				}
				return nil
			})
		}
	}
	sort.Slice(dirs, func(i, j int) bool { return len(dirs[i]) > len(dirs[j]) })
	return dirs
}

// removeIfNew registers a cleanup removing those paths (parents first) that
// do not exist now: files, and directories once empty.
func removeIfNew(t *testing.T, paths ...string) {
	var fresh []string
	for _, p := range paths {
		if _, err := os.Lstat(p); os.IsNotExist(err) {
			fresh = append(fresh, p)
		}
	}
	t.Cleanup(func() {
		for i := len(fresh) - 1; i >= 0; i-- {
			os.Remove(fresh[i])
		}
	})
}
