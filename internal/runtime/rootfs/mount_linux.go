package rootfs

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/errdefs"
)

// This file holds the mount primitives: every mount is a detached tree (from
// open_tree or fsmount) configured with mount_setattr and attached with
// move_mount onto an O_PATH handle, so no path string is resolved between the
// check and the mount.

var attrBits = []struct {
	a Attr
	u uint64
}{
	{AttrReadOnly, unix.MOUNT_ATTR_RDONLY},
	{AttrNoSuid, unix.MOUNT_ATTR_NOSUID},
	{AttrNoDev, unix.MOUNT_ATTR_NODEV},
	{AttrNoExec, unix.MOUNT_ATTR_NOEXEC},
	{AttrNoDiratime, unix.MOUNT_ATTR_NODIRATIME},
	{AttrNoSymfollow, unix.MOUNT_ATTR_NOSYMFOLLOW},
}

func unixAttr(a Attr) uint64 {
	var u uint64
	for _, b := range attrBits {
		if a&b.a != 0 {
			u |= b.u
		}
	}
	return u
}

func unixAtime(a Atime) uint64 {
	switch a {
	case AtimeNone:
		return unix.MOUNT_ATTR_NOATIME
	case AtimeStrict:
		return unix.MOUNT_ATTR_STRICTATIME
	}
	return unix.MOUNT_ATTR_RELATIME
}

// mountAttr turns an AttrChange into mount_setattr's argument. Only what the
// change names is touched, so flags the kernel locked on the source (a bind
// from a more privileged namespace) are kept unless explicitly cleared.
func mountAttr(c AttrChange) *unix.MountAttr {
	ma := &unix.MountAttr{Attr_set: unixAttr(c.Set), Attr_clr: unixAttr(c.Clear)}
	if c.Atime != AtimeUnchanged {
		ma.Attr_clr |= unix.MOUNT_ATTR__ATIME
		ma.Attr_set |= unixAtime(c.Atime)
	}
	return ma
}

// setAttrs applies c to the mount fd refers to (and, with recursive, to
// every mount below it).
func setAttrs(fd int, c AttrChange, recursive bool) error {
	if c.IsZero() {
		return nil
	}
	flags := uint(unix.AT_EMPTY_PATH)
	if recursive {
		flags |= unix.AT_RECURSIVE
	}
	if err := unix.MountSetattr(fd, "", flags, mountAttr(c)); err != nil {
		return fmt.Errorf("mount_setattr: %w", err)
	}
	return nil
}

func unixPropagation(t Propagation) uint64 {
	switch t {
	case PropagationShared:
		return unix.MS_SHARED
	case PropagationSlave:
		return unix.MS_SLAVE
	case PropagationUnbindable:
		return unix.MS_UNBINDABLE
	}
	return unix.MS_PRIVATE
}

func setPropagation(fd int, pc PropagationChange) error {
	flags := uint(unix.AT_EMPTY_PATH)
	if pc.Recursive {
		flags |= unix.AT_RECURSIVE
	}
	if err := unix.MountSetattr(fd, "", flags, &unix.MountAttr{Propagation: unixPropagation(pc.Type)}); err != nil {
		return fmt.Errorf("setting propagation: %w", err)
	}
	return nil
}

// cloneTree returns a detached copy of the mount at fd (and the mounts below
// it with recursive), as open_tree(OPEN_TREE_CLONE) does.
func cloneTree(fd int, recursive bool) (*os.File, error) {
	flags := uint(unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC | unix.AT_EMPTY_PATH)
	if recursive {
		flags |= unix.AT_RECURSIVE
	}
	tfd, err := unix.OpenTree(fd, "", flags)
	if err != nil {
		return nil, fmt.Errorf("open_tree: %w", err)
	}
	return os.NewFile(uintptr(tfd), "tree"), nil
}

// attach moves the detached mount tree onto target.
func attach(tree, target *os.File) error {
	err := unix.MoveMount(int(tree.Fd()), "", int(target.Fd()), "",
		unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH)
	if err != nil {
		return fmt.Errorf("move_mount: %w", err)
	}
	return nil
}

// newFilesystem creates a detached mount of a new filesystem. data holds
// fsconfig parameters: "key=value" strings or flags.
func newFilesystem(fstype, source string, data []string, c AttrChange) (*os.File, error) {
	fsfd, err := unix.Fsopen(fstype, unix.FSOPEN_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("fsopen %s: %w", fstype, err)
	}
	defer unix.Close(fsfd)
	if source != "" {
		if err := unix.FsconfigSetString(fsfd, "source", source); err != nil {
			return nil, fmt.Errorf("%s: source %q: %w%s", fstype, source, err, fsLog(fsfd))
		}
	}
	for _, d := range data {
		if k, v, ok := strings.Cut(d, "="); ok {
			err = unix.FsconfigSetString(fsfd, k, v)
		} else {
			err = unix.FsconfigSetFlag(fsfd, d)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: option %q: %w%s", fstype, d, err, fsLog(fsfd))
		}
	}
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return nil, fmt.Errorf("creating %s: %w%s", fstype, err, fsLog(fsfd))
	}
	ma := mountAttr(AttrChange{Set: c.Set, Atime: c.Atime})
	mfd, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, int(ma.Attr_set))
	if err != nil {
		return nil, fmt.Errorf("fsmount %s: %w%s", fstype, err, fsLog(fsfd))
	}
	return os.NewFile(uintptr(mfd), fstype), nil
}

// fsLog returns the messages the kernel left on a filesystem context, to
// say why fsconfig refused.
func fsLog(fsfd int) string {
	var msgs []string
	buf := make([]byte, 1024)
	for {
		n, err := unix.Read(fsfd, buf)
		if err != nil || n <= 0 {
			break
		}
		msgs = append(msgs, string(bytes.TrimSpace(buf[:n])))
	}
	if len(msgs) == 0 {
		return ""
	}
	return " (" + strings.Join(msgs, "; ") + ")"
}

// openInRoot opens dst in root as an O_PATH handle, following symlinks as
// if root were "/" and refusing magic links: openat2 with RESOLVE_IN_ROOT,
// whose result the kernel keeps inside root. pathrs.OpenatInRoot does the
// same and then reads the handle's path back through procfs (a readlink
// and a 4 KiB buffer per call) only to name the *os.File.
func openInRoot(root *os.File, dst string) (*os.File, error) {
	how := &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS}
	for try := 0; ; try++ {
		fd, err := unix.Openat2(int(root.Fd()), dst, how)
		// EAGAIN: a rename or mount raced the lookup; the kernel asks
		// for a retry rather than risk resolving outside root.
		if (err == unix.EAGAIN && try < 64) || err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "openat2", Path: dst, Err: err}
		}
		return os.NewFile(uintptr(fd), dst), nil
	}
}

// errSymlink marks a protected path that goes through a symlink.
var errSymlink = errors.New("is a symlink in the rootfs")

// openNoSymlinks opens dst in root refusing any symlink on the way. It
// returns (nil, nil) if some component does not exist yet.
func openNoSymlinks(root *os.File, dst string) (*os.File, error) {
	fd, err := unix.Openat2(int(root.Fd()), dst, &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	})
	switch {
	case err == nil:
		return os.NewFile(uintptr(fd), dst), nil
	case errors.Is(err, unix.ENOENT):
		return nil, nil
	case errors.Is(err, unix.ELOOP):
		return nil, fmt.Errorf("%s (or a directory above it) %w: refusing to mount there: %w", dst, errSymlink, errdefs.ErrInvalidArgument)
	}
	return nil, fmt.Errorf("opening %s: %w", dst, err)
}

func sameFile(a, b *os.File) (bool, error) {
	var sa, sb unix.Stat_t
	if err := unix.Fstat(int(a.Fd()), &sa); err != nil {
		return false, err
	}
	if err := unix.Fstat(int(b.Fd()), &sb); err != nil {
		return false, err
	}
	return sa.Dev == sb.Dev && sa.Ino == sb.Ino, nil
}

// mountpoint returns an O_PATH handle on dst inside root, creating it (a
// directory, or an empty file when dir is false) and its parents if needed.
// Resolution never leaves root: symlinks are followed as if root were "/".
// With protected, a symlink anywhere on the path is an error.
func mountpoint(root *os.File, dst string, dir, protected bool) (*os.File, error) {
	if protected {
		if f, err := openNoSymlinks(root, dst); err != nil {
			return nil, err
		} else if f != nil {
			f.Close()
		}
	}
	h, err := openInRoot(root, dst)
	if errors.Is(err, unix.ENOENT) {
		h, err = createMountpoint(root, dst, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("mountpoint %s: %w", dst, err)
	}
	if protected {
		// The path was free of symlinks before we created it; check that
		// it still is and that it names what we hold.
		check, err := openNoSymlinks(root, dst)
		if err == nil && check == nil {
			err = fmt.Errorf("%s vanished", dst)
		}
		if err != nil {
			h.Close()
			return nil, err
		}
		same, err := sameFile(h, check)
		check.Close()
		if err != nil || !same {
			h.Close()
			return nil, fmt.Errorf("mountpoint %s changed while it was prepared: %w", dst, errdefs.ErrConflict)
		}
	}
	return h, nil
}

func createMountpoint(root *os.File, dst string, dir bool) (*os.File, error) {
	if dir {
		return pathrs.MkdirAllHandle(root, dst, 0o755)
	}
	parent, err := pathrs.MkdirAllHandle(root, path.Dir(dst), 0o755)
	if err != nil {
		return nil, err
	}
	defer parent.Close()
	return createFile(parent, path.Base(dst))
}

// createFile creates an empty file name in dir (if absent) and returns an
// O_PATH handle on it, without following a symlink at name.
func createFile(dir *os.File, name string) (*os.File, error) {
	fd, err := unix.Openat(int(dir.Fd()), name, unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_WRONLY|unix.O_CLOEXEC, 0o644)
	if err == nil {
		unix.Close(fd)
	} else if !errors.Is(err, unix.EEXIST) {
		return nil, fmt.Errorf("creating %s: %w", name, err)
	}
	fd, err = unix.Openat(int(dir.Fd()), name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", name, err)
	}
	return os.NewFile(uintptr(fd), name), nil
}

func isDir(f *os.File) (bool, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return false, err
	}
	return st.Mode&unix.S_IFMT == unix.S_IFDIR, nil
}
