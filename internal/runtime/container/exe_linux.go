package container

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// sealedSelf returns a handle on this binary through a private, detached,
// read-only mount of it. The container's init is started from it, so
// /proc/PID/exe of any runtime process the container can see resolves to a
// file it cannot open for writing (CVE-2019-5736), without copying the
// binary on every start.
func sealedSelf() (*os.File, error) {
	fd, err := unix.OpenTree(unix.AT_FDCWD, "/proc/self/exe", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("open_tree of the runtime binary: %w", err)
	}
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV}
	if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, attr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("making the runtime binary's mount read-only: %w", err)
	}
	return os.NewFile(uintptr(fd), "cais-runtime (sealed)"), nil
}
