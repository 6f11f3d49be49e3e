package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bundleSpec reads the OCI config of container id's bundle as a map.
func (e *env) bundleSpec(id string) map[string]any {
	e.t.Helper()
	var spec map[string]any
	if err := json.Unmarshal([]byte(readFile(e.t, filepath.Join(e.runRoot, "containers", id, "config.json"))), &spec); err != nil {
		e.t.Fatal(err)
	}
	return spec
}

// runtimeLeftovers lists what the runtime keeps of container id: its state
// directory and its cgroup in any hierarchy.
func (e *env) runtimeLeftovers(id, cgroupsPath string) []string {
	e.t.Helper()
	cands := []string{filepath.Join(e.runRoot, "runtime", "cais-runtime", id), filepath.Join("/sys/fs/cgroup", cgroupsPath)}
	ctrls, _ := filepath.Glob("/sys/fs/cgroup/*")
	for _, c := range ctrls {
		cands = append(cands, filepath.Join(c, cgroupsPath))
	}
	var out []string
	for _, p := range cands {
		if _, err := os.Lstat(p); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// TestRmAfterExitLeavesNothing: removing an exited container (the runtime
// delete then runs alongside the rootfs unmount and snapshot removal)
// leaves no runtime state, cgroup, mount, snapshot, record or directory.
func TestRmAfterExitLeavesNothing(t *testing.T) {
	e, name := runEnv(t)
	id := strings.TrimSpace(e.must("create", "--name", name, "--network", "none", "-v", "/data", "busybox:test", "sh", "-c", "echo x > /data/f; exit 2"))
	cg, _ := e.bundleSpec(id)["linux"].(map[string]any)["cgroupsPath"].(string)
	if cg == "" {
		t.Fatal("bundle has no cgroupsPath")
	}
	if r := e.run("start", "-a", name); r.code != 2 {
		t.Fatalf("start -a: exit %d (stderr %q), want 2", r.code, r.stderr)
	}
	if left := e.runtimeLeftovers(id, cg); len(left) == 0 {
		t.Fatal("no runtime state or cgroup before rm: the check below would prove nothing")
	}
	e.must("rm", "-v", name)
	if left := e.runtimeLeftovers(id, cg); len(left) != 0 {
		t.Errorf("runtime state left after rm: %v", left)
	}
	if left := e.leftovers(); len(left) != 0 {
		t.Errorf("left after rm: %v", left)
	}
	if out := e.must("volume", "ls", "-q"); out != "" {
		t.Errorf("anonymous volume left: %q", out)
	}
}

// TestRmPoststopHookSeesRootfs: a bundle with a poststop hook (cais never
// writes one; here it is added by hand and picked up by the runtime when
// the container is started again) is removed in the runtime's order: the
// hook runs while the container's rootfs is still mounted, and the engine
// removes everything after it.
func TestRmPoststopHookSeesRootfs(t *testing.T) {
	e, name := runEnv(t)
	id := strings.TrimSpace(e.must("create", "--name", name, "--network", "none", "busybox:test", "true"))
	e.must("start", "-a", name)
	rootfs := filepath.Join(e.runRoot, "containers", id, "rootfs")
	out := filepath.Join(t.TempDir(), "hook.out")
	spec := e.bundleSpec(id)
	spec["hooks"] = map[string]any{"poststop": []map[string]any{{
		"path": "/bin/sh",
		"args": []string{"sh", "-c", "if [ -e " + rootfs + "/bin/busybox ]; then echo present; else echo absent; fi >> " + out},
	}}}
	b, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.runRoot, "containers", id, "config.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	// A second start makes the container anew from the bundle (the old
	// instance was deleted without the hook).
	e.must("start", "-a", name)
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("hook ran before rm: %v", err)
	}
	e.must("rm", name)
	if got := readFile(t, out); got != "present\n" {
		t.Errorf("poststop hook saw the rootfs: %q, want \"present\\n\" (once, while mounted)", got)
	}
	if left := e.leftovers(); len(left) != 0 {
		t.Errorf("left after rm: %v", left)
	}
}
