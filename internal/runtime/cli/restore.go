package cli

func restoreCmd() *command {
	return notSupportedCmd("restore", "restore a container from a checkpoint (not supported)")
}
