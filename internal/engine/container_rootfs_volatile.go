package engine

import (
	"errors"
	"strings"

	"github.com/cais-project/cais/internal/mount"
	"golang.org/x/sys/unix"
)

// mountRootfs mounts the container's snapshot at rootfs. A --rm
// container's writable layer dies with it, so its overlay is mounted
// "volatile" (Linux 5.10+; Podman does the same for --rm): the kernel
// then skips syncing the upper filesystem when the overlay is unmounted,
// a journal commit and flush that the removal of every --rm container
// waited for (and fsync inside the container returns without flushing,
// which nothing outlives it to notice). A kernel that refuses the option
// gets the plain mount.
func mountRootfs(ms []mount.Mount, rootfs string, autoRemove bool) error {
	if !autoRemove {
		return mount.All(ms, rootfs)
	}
	vol, changed := volatileOverlay(ms)
	if !changed {
		return mount.All(ms, rootfs)
	}
	err := mount.All(vol, rootfs)
	if errors.Is(err, unix.EINVAL) {
		return mount.All(ms, rootfs)
	}
	return err
}

// volatileOverlay returns ms with "volatile" added to each writable
// overlay (one with an upperdir), and whether there was one.
func volatileOverlay(ms []mount.Mount) ([]mount.Mount, bool) {
	out := make([]mount.Mount, len(ms))
	changed := false
	for i, m := range ms {
		out[i] = m
		if m.Type != "overlay" || !hasUpperdir(m.Options) {
			continue
		}
		out[i].Options = append(append([]string(nil), m.Options...), "volatile")
		changed = true
	}
	return out, changed
}

func hasUpperdir(opts []string) bool {
	for _, o := range opts {
		if strings.HasPrefix(o, "upperdir=") {
			return true
		}
	}
	return false
}
