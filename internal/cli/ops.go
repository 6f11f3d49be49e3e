package cli

import "github.com/spf13/cobra"

// opsCmds are the container operations verbs, registered both at the top
// level and under `container`.
func opsCmds(g *globals) []*cobra.Command {
	return []*cobra.Command{pauseCmd(g), unpauseCmd(g), updateCmd(g), statsCmd(g), topCmd(g), renameCmd(g)}
}
