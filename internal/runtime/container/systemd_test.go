package container

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cais-project/cais/internal/errdefs"
)

func TestCheckSystemdDriver(t *testing.T) {
	tests := []struct {
		name      string
		comm      string // "" writes no /proc/1/comm
		runSystem bool
		wantClass error
		wantText  string
	}{
		{"other init", "tini\n", false, errdefs.ErrUnavailable, "systemd is not running (PID 1 is tini)"},
		{"no proc", "", false, errdefs.ErrUnavailable, "systemd is not running (PID 1 is unknown"},
		{"systemd without /run/systemd/system", "systemd\n", false, errdefs.ErrUnavailable, "/systemd/system is missing"},
		{"systemd running", "systemd\n", true, errdefs.ErrNotImplemented, "not supported yet"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			proc, run := t.TempDir(), t.TempDir()
			if tc.comm != "" {
				os.MkdirAll(filepath.Join(proc, "1"), 0o755)
				if err := os.WriteFile(filepath.Join(proc, "1", "comm"), []byte(tc.comm), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if tc.runSystem {
				if err := os.MkdirAll(filepath.Join(run, "systemd", "system"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			err := CheckSystemdDriver(proc, run)
			if !errors.Is(err, tc.wantClass) || !strings.Contains(err.Error(), tc.wantText) {
				t.Fatalf("CheckSystemdDriver = %v, want %v containing %q", err, tc.wantClass, tc.wantText)
			}
		})
	}
}
