package container

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cais-project/cais/internal/errdefs"
)

// CheckSystemdDriver says why the systemd cgroup driver (--systemd-cgroup)
// cannot be used. procRoot is normally "/proc" and runRoot "/run"; systemd
// runs when PID 1 is systemd and /run/systemd/system exists (what
// sd_booted checks). Without systemd the error wraps
// errdefs.ErrUnavailable; with it, errdefs.ErrNotImplemented, since the
// driver is not written yet.
func CheckSystemdDriver(procRoot, runRoot string) error {
	b, err := os.ReadFile(filepath.Join(procRoot, "1", "comm"))
	comm := strings.TrimSpace(string(b))
	if err != nil {
		comm = "unknown: " + err.Error()
	}
	if comm != "systemd" {
		return fmt.Errorf("systemd cgroup driver: systemd is not running (PID 1 is %s): %w", comm, errdefs.ErrUnavailable)
	}
	if _, err := os.Stat(filepath.Join(runRoot, "systemd", "system")); err != nil {
		return fmt.Errorf("systemd cgroup driver: systemd is not running (%s/systemd/system is missing): %w", runRoot, errdefs.ErrUnavailable)
	}
	return fmt.Errorf("systemd cgroup driver: not supported yet (use the cgroupfs driver): %w", errdefs.ErrNotImplemented)
}
