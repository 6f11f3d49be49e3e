// Package rootfs builds a container's filesystem view from its OCI config:
// the root, the config's mounts, /dev (default devices, linux.devices and the
// usual symlinks), the console, masked and read-only paths, and the root's
// mount propagation, as runtime-spec and runc do.
//
// The work is split in two. NewPlan validates the config and turns it into a
// Plan, pure data that unit tests inspect without root. The Plan's methods
// apply it from inside the container's init process, in this order:
//
//	p, err := rootfs.NewPlan(spec, bundle, opts) // before or after clone
//	p.Prepare()              // in the new mount namespace, before pivot_root
//	p.PivotRoot()            // switch root to the rootfs
//	rootfs.BindConsole(pty)  // optional, after PivotRoot
//	p.Finalize()             // masked/read-only paths, read-only root
//
// Every path inside the rootfs (mount destinations, created mountpoints, /dev
// entries, masked paths) is resolved relative to a handle on the rootfs with
// openat2(RESOLVE_IN_ROOT) (directly, or through filepath-securejoin's
// pathrs-lite to create what is missing) and mounted
// onto that handle with the new mount API (open_tree, fsopen/fsmount,
// move_mount, mount_setattr), never by joining strings, so a symlink in the
// image cannot redirect a mount to the host.
//
// The package does not create namespaces, join cgroups or set up the console
// pty; it is called by the init process that already lives in its new mount
// namespace, with its OS thread locked.
package rootfs
