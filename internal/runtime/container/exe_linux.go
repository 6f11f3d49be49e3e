package container

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// sealedSelf returns a handle on this binary through a private, detached,
// read-only mount of it. The container's init is started from it, so
// /proc/PID/exe of any runtime process the container can see resolves to a
// file it cannot open for writing (CVE-2019-5736), without copying the
// binary on every start.
//
// The mount is a clone of the binary's directory, so /proc/PID/exe of the
// init reads "/cais-runtime" (the path inside that mount) rather than "/",
// and tools such as ps show what runs. When the binary was replaced since
// this process started, the clone is of the executable itself.
func sealedSelf() (*os.File, error) {
	if f, err := sealedSelfInDir(); err == nil {
		return f, nil
	}
	fd, err := openTreeRO(unix.AT_FDCWD, "/proc/self/exe")
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), "cais-runtime (sealed)"), nil
}

// sealedSelfInDir opens this binary through a read-only clone of its
// directory, checking it is the very file this process runs.
func sealedSelfInDir() (*os.File, error) {
	path, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return nil, err
	}
	dir, err := openTreeRO(unix.AT_FDCWD, filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	defer unix.Close(dir)
	fd, err := unix.Openat(dir, filepath.Base(path), unix.O_PATH|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	var got, want unix.Stat_t
	if err := unix.Fstat(fd, &got); err != nil {
		unix.Close(fd)
		return nil, err
	}
	if err := unix.Stat("/proc/self/exe", &want); err != nil || got.Dev != want.Dev || got.Ino != want.Ino {
		unix.Close(fd)
		return nil, fmt.Errorf("%s is no longer the running binary", path)
	}
	return os.NewFile(uintptr(fd), "cais-runtime (sealed)"), nil
}

// openTreeRO clones the mount at path (not its submounts) as a detached,
// read-only, nosuid, nodev mount and returns its fd.
func openTreeRO(dirfd int, path string) (int, error) {
	fd, err := unix.OpenTree(dirfd, path, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("open_tree of the runtime binary: %w", err)
	}
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV}
	if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, attr); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("making the runtime binary's mount read-only: %w", err)
	}
	return fd, nil
}
