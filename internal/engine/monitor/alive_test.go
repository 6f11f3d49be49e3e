package monitor

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestAliveZombie: a monitor killed but not yet reaped (its parent, often
// init in a sandbox, may never reap it) is not alive, though its pid and
// start time still match.
func TestAliveZombie(t *testing.T) {
	cmd := exec.Command("/bin/busybox", "sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	st, err := startTime("/proc", pid)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	line := strconv.Itoa(pid) + " " + strconv.FormatUint(st, 10) + "\n"
	if err := os.WriteFile(filepath.Join(dir, pidName), []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	if !Alive(dir) {
		t.Fatalf("Alive of a running process: false, want true")
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Wait for the kernel to make it a zombie, without reaping it.
	var info unix.Siginfo
	if err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil); err != nil {
		t.Fatal(err)
	}
	if Alive(dir) {
		t.Errorf("Alive of a zombie: true, want false")
	}
}
