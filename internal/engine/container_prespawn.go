package engine

import "github.com/cais-project/cais/internal/engine/monitor"

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
