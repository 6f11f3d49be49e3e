package engine

import (
	"context"

	"github.com/cais-project/cais/internal/engine/monitor"
	"github.com/cais-project/cais/internal/engine/ocicli"
)

// pendingMonitor is the monitor CreateContainer starts before its create
// work (monitor.Prespawn): its Go start-up then overlaps the image
// lookup, snapshot, mounts and bundle instead of following them, and the
// bundle's monitor config reaches it over a pipe once ready. Starting it
// (the fork and exec, and Go's one-time pidfd probe before the first
// exec) happens in a goroutine too, off the create's path. A create that
// fails aborts it: the monitor reads EOF and exits having made nothing.
// A monitor that could not be started early (p nil) leaves it to
// monitor.Spawn at the end, with that path's errors.
type pendingMonitor struct {
	ready chan struct{} // closed once p is set (or known nil)
	p     *monitor.Pending
}

func (e *Engine) prespawnMonitor(id string) *pendingMonitor {
	pm := &pendingMonitor{ready: make(chan struct{})}
	go func() {
		defer close(pm.ready)
		if bin, err := helperBinary("cais-monitor"); err == nil {
			pm.p, _ = monitor.Prespawn(bin, id, e.monitorDir(id))
		}
	}()
	return pm
}

// pending is the prespawned monitor, nil if there is none.
func (pm *pendingMonitor) pending() *monitor.Pending {
	if pm == nil {
		return nil
	}
	<-pm.ready
	return pm.p
}

// abort ends a monitor that was not handed its config.
func (pm *pendingMonitor) abort() {
	if p := pm.pending(); p != nil {
		p.Abort()
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
	// The bundle was written from o.Tty just now: the monitor need not
	// read it back (restarts, over older bundles, still do).
	tty := o.Tty
	cfg.Terminal = &tty
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
