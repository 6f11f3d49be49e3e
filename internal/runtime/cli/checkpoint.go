package cli

import (
	"fmt"
	"os/exec"

	"github.com/cais-project/cais/internal/errdefs"
)

// checkpointCmd and restoreCmd accept runc's flags without knowing them and
// say why they cannot work: cais-runtime has no CRIU integration.
func checkpointCmd() *command {
	return notSupportedCmd("checkpoint", "checkpoint a running container (not supported)")
}

func notSupportedCmd(verb, short string) *command {
	c := newCommand(verb+" [flags] CONTAINER_ID", short, minArgs(0), func(*call) error {
		return checkpointError()
	})
	c.raw = true
	return c
}

func checkpointError() error {
	if _, err := exec.LookPath("criu"); err != nil {
		return fmt.Errorf("checkpoint/restore is not supported: criu is not installed: %w", errdefs.ErrNotImplemented)
	}
	return fmt.Errorf("checkpoint/restore is not supported by cais-runtime: %w", errdefs.ErrNotImplemented)
}
