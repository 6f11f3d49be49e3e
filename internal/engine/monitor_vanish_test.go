package engine

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cais-project/cais/internal/errdefs"
)

// fakeMonitor writes a monitor pid file in a new dir for a process of
// ours, as the monitor writes its own (pid and start time).
func fakeMonitor(t *testing.T, args ...string) (string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	b, err := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b)[strings.LastIndexByte(string(b), ')')+1:])
	dir := t.TempDir()
	line := fmt.Sprintf("%d %s\n", cmd.Process.Pid, f[19])
	if err := os.WriteFile(filepath.Join(dir, "monitor.pid"), []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, cmd
}

// A monitor that cannot be reached and is dying counts as gone once its
// process is; one that lives on, or an error of another kind, does not.
func TestMonitorVanished(t *testing.T) {
	unreachable := fmt.Errorf("monitor is not running: %w", errdefs.ErrUnavailable)

	dir, cmd := fakeMonitor(t, "sleep", "0.3")
	go cmd.Wait() // reaped when it ends, as the monitor's parent would
	if !monitorVanished(dir, unreachable) {
		t.Error("a monitor that ended within the wait was not seen gone")
	}

	dir, _ = fakeMonitor(t, "sleep", "60")
	if monitorVanished(dir, unreachable) {
		t.Error("a live monitor was taken for gone")
	}
	if monitorVanished(dir, fmt.Errorf("other: %w", errdefs.ErrConflict)) {
		t.Error("an error other than unreachable was taken for a vanished monitor")
	}
}
