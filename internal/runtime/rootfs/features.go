package rootfs

import "slices"

// KnownMountOptions returns, sorted, the mount options the planner
// understands (for the runtime's features document). Options not listed
// are passed to the filesystem as data on new mounts and refused on binds.
func KnownMountOptions() []string {
	out := make([]string, 0, len(mountOptions))
	for o := range mountOptions {
		out = append(out, o)
	}
	slices.Sort(out)
	return out
}
