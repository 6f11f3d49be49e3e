package cli

import "github.com/spf13/cobra"

func restoreCmd() *cobra.Command {
	return notSupportedCmd("restore", "restore a container from a checkpoint (not supported)")
}
