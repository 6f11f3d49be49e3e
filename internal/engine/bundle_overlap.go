package engine

import (
	"context"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/engine/monitor"
)

// networkAndBundle sets up c's network and makes its bundle (mounted
// snapshot, /etc files, config.json), then sets c.Command. On a bridge
// network the bundle is made while the plugins attach the container
// (setupNetwork returns once the namespace exists; attached waits for the
// plugins): they are separate processes that mostly wait on each other
// and on the kernel, the bundle is this process's own work, and neither
// needs the other. The spec names the namespace by its path, and
// /etc/hosts gets the container's address afterwards from refreshPeers,
// written in place. On failure the caller's cleanup undoes both: the
// record says what the network made, c.SnapshotKey names the snapshot.
func (e *Engine) networkAndBundle(ctx context.Context, c *Container, snap *snapshotPrep, o *RunOptions, p *netPlan, mounts []specs.Mount) (monitor.Config, error) {
	share := ""
	if p.mode == "container" {
		share = p.shareID
	}
	mode, attached, err := e.setupNetwork(ctx, c, p, o.Hostname)
	if err != nil {
		return monitor.Config{}, err
	}
	o.Network = mode
	// Until attached returns, only c's fields the network never writes
	// (ID, Name, Mounts, AutoRemove, SnapshotKey) are read here.
	var cmd []string
	root, err := e.prepareRootfs(ctx, c, snap, *o)
	if err == nil {
		cmd, err = e.writeConfig(c, snap.img, *o, root, mounts, share)
	}
	if aerr := attached(); err == nil {
		err = aerr
	}
	if err != nil {
		return monitor.Config{}, err
	}
	c.Command = cmd // saved while the monitor starts (startMonitorSaving)
	return monitor.Config{ID: c.ID, Bundle: e.runDir(c.ID), Dir: e.monitorDir(c.ID), LogPath: e.logPath(c.ID)}, nil
}
