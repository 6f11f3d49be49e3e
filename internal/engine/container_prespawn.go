package engine

import (
	"context"

	"github.com/cais-project/cais/internal/engine/monitor"
	"github.com/cais-project/cais/internal/engine/ocicli"
)

// pendingMonitor is the monitor CreateContainer starts before its create
// work (monitor.Prespawn): its Go start-up then overlaps the image
// lookup, snapshot, mounts and bundle instead of following them, and the
// bundle's monitor config reaches it over a pipe once ready. A create
// that fails aborts it: the monitor reads EOF and exits having made
// nothing. nil (the monitor could not be started early) falls back to
// monitor.Spawn at the end, with that path's errors.
type pendingMonitor struct{ p *monitor.Pending }

func (e *Engine) prespawnMonitor(id string) *pendingMonitor {
	bin, err := helperBinary("cais-monitor")
	if err != nil {
		return nil
	}
	p, err := monitor.Prespawn(bin, id, e.monitorDir(id))
	if err != nil {
		return nil
	}
	return &pendingMonitor{p: p}
}

// abort ends a monitor that was not handed its config.
func (pm *pendingMonitor) abort() {
	if pm != nil {
		pm.p.Abort()
	}
}

// startMonitorSaving saves c's record (now with its command: a synced
// write, 1-2 ms here) while the monitor gets its config and comes up,
// instead of before. Only when nothing runs before the caller's start
// request: a run -d container may be done, and a --rm one removed with
// its record, before the save would land. A record that cannot be saved
// after the monitor came up is an error for the create, and the
// container is removed as rm -f does; the caller's cleanup then finds
// nothing left.
func (e *Engine) startMonitorSaving(ctx context.Context, c *Container, rt ocicli.Runtime, cfg monitor.Config, o RunOptions, pm *pendingMonitor) error {
	if o.Start {
		if err := e.saveContainer(c); err != nil {
			return err
		}
		return e.startMonitor(ctx, c, rt, cfg, o, pm)
	}
	saved := make(chan error, 1)
	go func() { saved <- e.saveContainer(c) }()
	err := e.startMonitor(ctx, c, rt, cfg, o, pm)
	serr := <-saved
	if err != nil || serr == nil {
		return err
	}
	e.removeContainer(ctx, c, true, true)
	return serr
}
