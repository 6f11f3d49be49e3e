package engine

import (
	"context"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/engine/monitor"
)

// networkAndBundle sets up c's network and makes its bundle (snapshot,
// mounts, /etc files, config.json), then sets c.Command. On a
// bridge network the two run at the same time: the plugins are separate
// processes that mostly wait on each other and on the kernel, the bundle
// is this process's snapshot, mount and spec work, and neither needs the
// other (the spec names the namespace by its path, known before the
// plugins run; /etc/hosts gets the container's address afterwards, from
// refreshPeers, written in place). On failure the caller's cleanup undoes
// both: the record says what the network made, c.SnapshotKey names the
// snapshot.
//
// While the network is set up (it writes c.Net and saves the record),
// the bundle side only reads c's ID, Name, Mounts and SnapshotKey, which
// are set before and never written by it; c.Command is set once both are
// done.
func (e *Engine) networkAndBundle(ctx context.Context, c *Container, snap *snapshotPrep, o *RunOptions, p *netPlan, mounts []specs.Mount) (monitor.Config, error) {
	share := ""
	if p.mode == "container" {
		share = p.shareID
	}
	bundle := func() ([]string, error) {
		root, err := e.prepareRootfs(ctx, c, snap, *o)
		if err != nil {
			return nil, err
		}
		return e.writeConfig(c, snap.img, *o, root, mounts, share)
	}
	var cmd []string
	var err error
	if p.mode != "cni" {
		// Nothing slow to overlap; the mode may depend on the network
		// setup (a shared container's namespace).
		if o.Network, err = e.setupNetwork(ctx, c, p, o.Hostname); err != nil {
			return monitor.Config{}, err
		}
		if cmd, err = bundle(); err != nil {
			return monitor.Config{}, err
		}
	} else {
		type netResult struct {
			mode string
			err  error
		}
		done := make(chan netResult, 1)
		go func() {
			mode, err := e.setupNetwork(ctx, c, p, o.Hostname)
			done <- netResult{mode, err}
		}()
		// What specNetwork returns for a bridge network.
		o.Network = "ns:" + e.nets().NetNSPath(c.ID)
		cmd, err = bundle()
		net := <-done
		if net.err != nil {
			return monitor.Config{}, net.err
		}
		if err != nil {
			return monitor.Config{}, err
		}
		if net.mode != o.Network {
			return monitor.Config{}, fmt.Errorf("internal error: the spec joins %q, the network is %q", o.Network, net.mode)
		}
	}
	c.Command = cmd // saved while the monitor starts (startMonitorSaving)
	return monitor.Config{ID: c.ID, Bundle: e.runDir(c.ID), Dir: e.monitorDir(c.ID), LogPath: e.logPath(c.ID)}, nil
}
