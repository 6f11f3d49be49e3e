package cli

import (
	"fmt"
	"os/exec"

	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/errdefs"
)

// checkpointCmd and restoreCmd accept runc's flags without knowing them and
// say why they cannot work: cais-runtime has no CRIU integration.
func checkpointCmd() *cobra.Command {
	return notSupportedCmd("checkpoint", "checkpoint a running container (not supported)")
}

func notSupportedCmd(verb, short string) *cobra.Command {
	return &cobra.Command{
		Use:                verb + " [flags] CONTAINER_ID",
		Short:              short,
		Args:               cobra.ArbitraryArgs,
		FParseErrWhitelist: cobra.FParseErrWhitelist{UnknownFlags: true},
		RunE: func(*cobra.Command, []string) error {
			return checkpointError()
		},
	}
}

func checkpointError() error {
	if _, err := exec.LookPath("criu"); err != nil {
		return fmt.Errorf("checkpoint/restore is not supported: criu is not installed: %w", errdefs.ErrNotImplemented)
	}
	return fmt.Errorf("checkpoint/restore is not supported by cais-runtime: %w", errdefs.ErrNotImplemented)
}
