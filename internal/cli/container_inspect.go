package cli

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/engine"
	"github.com/cais-project/cais/internal/errdefs"
)

func containerInspectCmd(g *globals) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "inspect [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Display detailed information on one or more containers",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine(c.Context())
			if err != nil {
				return err
			}
			return inspectEach(g, args, format, true, func(a string) (engine.ContainerInspect, error) {
				return e.InspectContainer(c.Context(), a)
			})
		},
	}
	c.Flags().StringVarP(&format, "format", "f", "", "format output using a Go template")
	return c
}

// inspectObject is what the top-level inspect shows for s: the container
// it names, else the image, as Docker looks them up; imagesOnly (image
// inspect) skips containers.
func inspectObject(ctx context.Context, e *engine.Engine, s string, imagesOnly bool) (any, error) {
	if imagesOnly {
		return e.InspectImage(ctx, s)
	}
	d, err := e.InspectContainer(ctx, s)
	if err == nil {
		return d, nil
	}
	if !errors.Is(err, errdefs.ErrNotFound) {
		return nil, err
	}
	img, err := e.InspectImage(ctx, s)
	if errors.Is(err, errdefs.ErrNotFound) {
		if v, verr := e.InspectVolume(ctx, s); verr == nil {
			return v, nil // Docker's inspect finds volumes too
		}
	}
	return img, err
}
