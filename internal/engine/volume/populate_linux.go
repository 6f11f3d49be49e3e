package volume

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Populate fills the volume from src (a directory of the container's
// rootfs, already resolved inside it) the first time a container uses it:
// only when the volume was never used before and its data is empty, as
// Docker does. Owners, modes, times, extended attributes, symlinks,
// hard links and device nodes are copied; the data directory itself takes
// src's owner and mode. A missing src copies nothing. Either way the
// volume counts as used afterwards.
func (s *Store) Populate(name, src string) error {
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	v, err := s.load(name)
	if err != nil {
		return err
	}
	if v.Populated {
		return nil
	}
	ents, err := os.ReadDir(v.Mountpoint)
	if err != nil {
		return err
	}
	if len(ents) == 0 && src != "" {
		if st, err := os.Lstat(src); err == nil && st.IsDir() {
			if err := copyTree(src, v.Mountpoint); err != nil {
				return fmt.Errorf("populating volume %s from the image: %w", name, err)
			}
		}
	}
	v.Populated = true
	return s.save(v)
}

// copyTree copies the contents of src into the existing directory dst,
// then gives dst src's metadata.
func copyTree(src, dst string) error {
	links := map[[2]uint64]string{} // (dev, ino) of files with nlink > 1
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil || rel == "." {
			return err
		}
		target := filepath.Join(dst, rel)
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		if st.Mode&unix.S_IFMT != unix.S_IFDIR && st.Nlink > 1 {
			key := [2]uint64{st.Dev, st.Ino}
			if first, ok := links[key]; ok {
				return os.Link(first, target)
			}
			links[key] = target
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFDIR:
			err = os.Mkdir(target, 0o700)
		case unix.S_IFREG:
			err = copyFile(p, target)
		case unix.S_IFLNK:
			var to string
			if to, err = os.Readlink(p); err == nil {
				err = os.Symlink(to, target)
			}
		default: // devices, fifos, sockets
			err = unix.Mknod(target, st.Mode, int(st.Rdev))
		}
		if err != nil {
			return err
		}
		if st.Mode&unix.S_IFMT == unix.S_IFDIR {
			return nil // metadata after its contents, below
		}
		return copyMeta(p, target, &st)
	})
	if err != nil {
		return err
	}
	// Directories last and deepest first, so their times stick.
	var dirs []string
	filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		rel, _ := filepath.Rel(src, dirs[i])
		var st unix.Stat_t
		if err := unix.Lstat(dirs[i], &st); err != nil {
			return err
		}
		if err := copyMeta(dirs[i], filepath.Join(dst, rel), &st); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// copyMeta gives dst (not following a symlink) src's owner, mode,
// extended attributes and times. chown comes before chmod, which it
// would otherwise clear setuid bits of.
func copyMeta(src, dst string, st *unix.Stat_t) error {
	if err := unix.Lchown(dst, int(st.Uid), int(st.Gid)); err != nil {
		return fmt.Errorf("chown %s: %w", dst, err)
	}
	isLink := st.Mode&unix.S_IFMT == unix.S_IFLNK
	if !isLink {
		if err := unix.Chmod(dst, st.Mode&07777); err != nil {
			return fmt.Errorf("chmod %s: %w", dst, err)
		}
	}
	if err := copyXattrs(src, dst); err != nil {
		return err
	}
	ts := []unix.Timespec{st.Atim, st.Mtim}
	return unix.UtimesNanoAt(unix.AT_FDCWD, dst, ts, unix.AT_SYMLINK_NOFOLLOW)
}

func copyXattrs(src, dst string) error {
	size, err := unix.Llistxattr(src, nil)
	if errors.Is(err, unix.ENOTSUP) || size <= 0 {
		return nil
	}
	if err != nil {
		return fmt.Errorf("listing xattrs of %s: %w", src, err)
	}
	buf := make([]byte, size)
	if size, err = unix.Llistxattr(src, buf); err != nil {
		return fmt.Errorf("listing xattrs of %s: %w", src, err)
	}
	for _, name := range splitNull(buf[:size]) {
		n, err := unix.Lgetxattr(src, name, nil)
		if err != nil {
			continue
		}
		val := make([]byte, n)
		if n, err = unix.Lgetxattr(src, name, val); err != nil {
			continue
		}
		if err := unix.Lsetxattr(dst, name, val[:n], 0); err != nil && !errors.Is(err, unix.ENOTSUP) {
			return fmt.Errorf("setting xattr %s on %s: %w", name, dst, err)
		}
	}
	return nil
}

func splitNull(b []byte) []string {
	var out []string
	start := 0
	for i, c := range b {
		if c == 0 {
			if i > start {
				out = append(out, string(b[start:i]))
			}
			start = i + 1
		}
	}
	return out
}
