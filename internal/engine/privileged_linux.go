package engine

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// privilegedSkip are what a privileged container's /dev gets anyway (the
// runtime's default nodes, its own pts, shm and mqueue), or must not see.
var privilegedSkip = []string{
	"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom",
	"/dev/tty", "/dev/console", "/dev/ptmx", "/dev/pts", "/dev/shm", "/dev/mqueue",
}

// hostDevices lists the host's device nodes under /dev, which a privileged
// container gets as Docker gives them, as --device values; those at a path
// in except (the user's own --device destinations) are left out.
func hostDevices(except []string) []string {
	var out []string
	filepath.WalkDir("/dev", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if slices.Contains(privilegedSkip, p) || slices.Contains(except, p) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type()&os.ModeDevice != 0 {
			out = append(out, p)
		}
		return nil
	})
	return out
}
