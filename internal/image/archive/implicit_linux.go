package archive

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// InheritDirAttrs gives each directory in paths (as CollectImplicitDirs
// listed them, relative to dir) the owner, mode and times of the same
// directory in the nearest of lower (nearest first) that has the path; a
// path whose nearest lower entry is not a directory keeps its 0755. Paths
// that are no longer directories in dir (a later entry replaced them) are
// skipped. Lookups stay inside dir and the lowers, refusing symlinks.
func InheritDirAttrs(dir string, paths, lower []string) error {
	if len(paths) == 0 || len(lower) == 0 {
		return nil
	}
	root, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening layer directory: %w", &os.PathError{Op: "open", Path: dir, Err: err})
	}
	defer unix.Close(root)
	for _, p := range paths {
		from := lowerDir(lower, p)
		if from == nil {
			continue
		}
		pdir, base := splitPath(p)
		parent, err := unix.Openat2(root, pdir, &unix.OpenHow{Flags: unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC, Resolve: resolveFlags})
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
			continue
		}
		if err != nil {
			return resolveError(p, pdir, err)
		}
		var st unix.Stat_t
		err = unix.Fstatat(parent, base, &st, unix.AT_SYMLINK_NOFOLLOW)
		if err == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
			err = copyDirAttrs(parent, base, from, true)
		} else if errors.Is(err, unix.ENOENT) {
			err = nil
		}
		unix.Close(parent)
		if err != nil {
			return fmt.Errorf("implicit directory %q: %w", p, err)
		}
	}
	return nil
}
