package engine

import (
	"context"

	"github.com/cais-project/cais/internal/engine/monitor"
)

// countContainers fills the container counts of in, Docker's way.
func (e *Engine) countContainers(ctx context.Context, in *Info) error {
	list, err := e.ListContainers(ctx, true)
	if err != nil {
		return err
	}
	in.Containers = len(list)
	for _, c := range list {
		switch c.State {
		case monitor.StateRunning, monitor.StateRestarting:
			in.ContainersRunning++
		case StatePaused:
			in.ContainersPaused++
		default:
			in.ContainersStopped++
		}
	}
	return nil
}
