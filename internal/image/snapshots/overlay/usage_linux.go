package overlay

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"syscall"

	"github.com/cais-project/cais/internal/image/snapshots"
)

// diskUsage counts the inodes and allocated bytes under dir, each hard-linked
// inode once.
func diskUsage(dir string) (snapshots.Usage, error) {
	var u snapshots.Usage
	seen := map[uint64]bool{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok || seen[st.Ino] {
			return nil
		}
		seen[st.Ino] = true
		u.Inodes++
		u.Size += st.Blocks * 512
		return nil
	})
	if err != nil {
		return u, fmt.Errorf("computing usage of %s: %w", dir, err)
	}
	return u, nil
}
