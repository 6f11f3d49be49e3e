package cli

import (
	"errors"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/engine"
)

func cpCmd(g *globals) *cobra.Command {
	var o engine.CopyOptions
	c := &cobra.Command{
		Use:   "cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n  cais cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
		Short: "Copy files and directories between a container and the host",
		Long: `Copy files and directories between a container and the host.
"-" as the host side is a tar archive on stdout or stdin. A source
ending in "/." copies a directory's contents.`,
		Args: exactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			srcCtr, src := splitCpArg(args[0])
			dstCtr, dst := splitCpArg(args[1])
			switch {
			case srcCtr != "" && dstCtr != "":
				return usageError{errors.New("copying between containers is not supported")}
			case srcCtr == "" && dstCtr == "":
				return usageError{errors.New("must specify at least one container source")}
			case src == "" || dst == "":
				return usageError{errors.New("empty path: give a path on both sides")}
			}
			e, err := g.engine(ctx)
			if err != nil {
				return err
			}
			if srcCtr != "" {
				ctr, err := e.FindContainer(ctx, srcCtr)
				if err != nil {
					return err
				}
				return e.CopyFromContainer(ctx, ctr, src, dst, g.stdout, o)
			}
			ctr, err := e.FindContainer(ctx, dstCtr)
			if err != nil {
				return err
			}
			if err := e.CopyToContainer(ctx, ctr, src, g.stdin, dst, o); err != nil {
				return err
			}
			return nil
		},
	}
	c.Flags().BoolVarP(&o.Archive, "archive", "a", false, "archive mode (keep owners: uid and gid)")
	c.Flags().BoolVarP(&o.FollowLink, "follow-link", "L", false, "follow a symbolic link given as SRC_PATH")
	return c
}

// splitCpArg splits "CONTAINER:PATH"; an absolute or colon-free
// argument (or one whose colon comes after a slash) is a host path.
func splitCpArg(arg string) (container, p string) {
	if strings.HasPrefix(arg, "/") || strings.HasPrefix(arg, ".") {
		return "", arg
	}
	ctr, rest, ok := strings.Cut(arg, ":")
	if !ok || strings.Contains(ctr, "/") {
		return "", arg
	}
	return ctr, rest
}
