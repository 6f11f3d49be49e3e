package engine

import (
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cais-project/cais/internal/errdefs"
)

// TestInitMissing: --init without tini installed is refused before
// anything is made, saying what to install.
func TestInitMissing(t *testing.T) {
	old := InitPath
	t.Cleanup(func() { InitPath = old })
	InitPath = filepath.Join(t.TempDir(), "no-tini")
	err := checkSettings(Settings{Init: true})
	if !errors.Is(err, errdefs.ErrNotFound) || !strings.Contains(err.Error(), "--init") || !strings.Contains(err.Error(), "tini") {
		t.Fatalf("checkSettings(--init) without tini: %v", err)
	}
	if err := checkSettings(Settings{}); err != nil {
		t.Fatalf("checkSettings without --init: %v", err)
	}
}

func TestParseSignal(t *testing.T) {
	good := map[string]syscall.Signal{
		"SIGTERM": syscall.SIGTERM, "term": syscall.SIGTERM, "15": syscall.SIGTERM, "SIGUSR1": syscall.SIGUSR1,
		"RTMIN": 34, "SIGRTMIN+3": 37, "SIGRTMAX-1": 63, "64": 64,
	}
	for s, want := range good {
		if got, err := ParseSignal(s); err != nil || got != want {
			t.Errorf("ParseSignal(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "NOPE", "0", "65", "-1", "SIGRTMIN+31", "SIGRTMIN+x"} {
		if _, err := ParseSignal(s); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("ParseSignal(%q): %v, want an invalid-argument error", s, err)
		}
	}
}
