package cli_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

func TestCheckpointRestoreRefused(t *testing.T) {
	if _, err := exec.LookPath("criu"); err == nil {
		t.Skip("criu is installed: the refusal names cais-runtime instead")
	}
	r := newRT(t)
	for _, args := range [][]string{
		{"checkpoint", "--image-path", t.TempDir(), "--leave-running", r.name},
		{"restore", "--bundle", t.TempDir(), "--detach", r.name},
	} {
		res := r.run(args...)
		if res.code != 1 || !strings.Contains(res.stderr, "checkpoint/restore is not supported: criu is not installed") {
			t.Errorf("%s: exit %d, stderr %q", args[0], res.code, res.stderr)
		}
	}
}

func TestSystemdCgroupDriver(t *testing.T) {
	r := newRT(t)
	comm, _ := os.ReadFile("/proc/1/comm")
	if pid1 := strings.TrimSpace(string(comm)); pid1 != "systemd" {
		res := r.run("--systemd-cgroup", "run", "--bundle", r.bundle("true"), r.name)
		if want := "systemd cgroup driver: systemd is not running (PID 1 is " + pid1 + ")"; res.code != 1 || !strings.Contains(res.stderr, want) {
			t.Errorf("--systemd-cgroup run: exit %d, stderr %q, want %q", res.code, res.stderr, want)
		}
	}
	// Verbs that create no cgroup accept the flag, as containerd passes it
	// to every command.
	r.must("--systemd-cgroup", "list")

	// The systemd form of cgroupsPath fails cleanly: exit 1, nothing left.
	b := r.bundle("true", func(s *specs.Spec) { s.Linux.CgroupsPath = "system.slice:cais:" + r.name })
	res := r.run("run", "--bundle", b, r.name)
	if res.code != 1 || !strings.Contains(res.stderr, "systemd") {
		t.Errorf("run with a slice:prefix:name cgroupsPath: exit %d, stderr %q", res.code, res.stderr)
	}
	if r.stateDirExists() {
		t.Error("a failed create left its state directory")
	}
}
