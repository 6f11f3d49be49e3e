package cli

import (
	"encoding/json"

	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/runtime/container"
)

func featuresCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "features",
		Short: "print what the runtime supports (runtime-spec features document, JSON)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := json.MarshalIndent(container.Features(), "", "    ")
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(append(b, '\n'))
			return err
		},
	}
}
