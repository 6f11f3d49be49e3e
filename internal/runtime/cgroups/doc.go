// Package cgroups owns one container's control groups: it creates the
// cgroup directories named by an OCI config's linux.cgroupsPath, moves
// processes into them, writes linux.resources to the kernel's files, freezes
// and thaws, reads statistics and removes the directories again.
//
// Both kernel interfaces are supported and chosen at run time: cgroup v1
// (one hierarchy per controller, including the "hybrid" layout where a
// cgroup2 hierarchy is also mounted at /sys/fs/cgroup/unified) and the pure
// cgroup v2 unified hierarchy. The systemd driver is not implemented.
//
// # cgroupsPath
//
// The path follows runc's cgroupfs driver:
//   - absolute ("/foo/bar") is relative to the root of each hierarchy: every
//     v1 controller's mount point, or the v2 mount;
//   - relative ("foo/bar") is relative to the cgroup of the calling process:
//     on v1 per controller (from /proc/self/cgroup and the mount's root in
//     mountinfo); on v2 relative to the *parent* of the caller's cgroup,
//     because the caller's own cgroup holds processes and so cannot enable
//     controllers for children (the "no internal processes" rule);
//   - empty means the relative path "<id>", as runc does (it sets the
//     cgroup's name to the container id and no parent).
//
// Paths are cleaned lexically so ".." cannot climb above the hierarchy (or
// the caller's cgroup). The systemd form "slice:prefix:name" is refused with
// an errdefs.ErrNotImplemented error.
//
// # Resources
//
// Set writes only what the config sets: a nil pointer, an empty string or
// an empty list writes nothing. It computes the writes first (a plan, data)
// and then performs them in order, so unit tests check the plan against a
// temporary directory laid out like cgroupfs. A write the kernel refuses is
// reported as `cgroups: writing "<value>" to <file>: <errno>`; a value that
// is invalid before reaching the kernel names the OCI field.
//
// On v1 a controller that is not mounted is skipped silently, unless the
// config sets a field that needs it: then Set fails naming the field and
// the controller, with errdefs.ErrUnavailable (runc skips missing
// hierarchies the same way and fails with "cannot set <controller> limit"
// only when a limit for it is given).
//
// Device rules are rendered and compiled by the devices subpackage: v1
// writes them in order to devices.allow/devices.deny; v2 attaches an eBPF
// program of type BPF_PROG_TYPE_CGROUP_DEVICE.
//
// A Manager is not safe for concurrent use. The package does not log.
package cgroups
