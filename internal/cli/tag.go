package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func tagCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
		Short: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
		Args:  exactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine(c.Context())
			if err != nil {
				return err
			}
			if err := e.Tag(c.Context(), args[0], args[1]); err != nil {
				return fmt.Errorf("tag %s %s: %w", args[0], args[1], err)
			}
			return nil
		},
	}
}
