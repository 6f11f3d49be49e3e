package cli

import (
	"encoding/json"

	"github.com/cais-project/cais/internal/runtime/container"
)

func featuresCmd() *command {
	return newCommand("features", "print what the runtime supports (runtime-spec features document, JSON)", noArgs,
		func(cl *call) error {
			b, err := json.MarshalIndent(container.Features(), "", "    ")
			if err != nil {
				return err
			}
			_, err = cl.stdout.Write(append(b, '\n'))
			return err
		})
}
