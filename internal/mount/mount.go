// Package mount defines Mount, the value that snapshotters hand to the
// runtime and the engine: what to mount, as data. Snapshotters only return
// these values; whoever sets up a root filesystem (the engine, and tests of
// snapshotters) performs them with All, in mount_linux.go, as containerd's
// mount package does.
package mount

import "strings"

// Mount describes one filesystem mount. It is the common language between
// the image layer (snapshots return []Mount) and whoever mounts them.
type Mount struct {
	// Type is the filesystem type ("overlay", "bind", "tmpfs", ...).
	Type string
	// Source is the device, directory or pseudo name to mount.
	Source string
	// Target is where to mount it; empty when the consumer chooses.
	Target string
	// Options are the fstab-style options ("ro", "lowerdir=...", ...).
	Options []string
}

// ReadOnly reports whether the options ask for a read-only mount.
func (m Mount) ReadOnly() bool {
	for _, o := range m.Options {
		if o == "ro" {
			return true
		}
	}
	return false
}

// String renders the mount the way mount(8) would describe it.
func (m Mount) String() string {
	return m.Type + " " + m.Source + " on " + m.Target + " (" + strings.Join(m.Options, ",") + ")"
}
