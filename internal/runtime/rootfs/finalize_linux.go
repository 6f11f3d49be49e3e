package rootfs

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/errdefs"
)

// Finalize runs after PivotRoot: it makes readonlyPaths read-only, masks
// maskedPaths (files with the container's /dev/null, once verified to be the
// null device; directories with an empty read-only tmpfs), makes the root
// read-only if root.readonly says so, and applies rootfsPropagation. Paths
// that do not exist are skipped, as runtime-spec allows.
func (p *Plan) Finalize() error {
	root, err := os.OpenFile("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening root: %w", err)
	}
	defer root.Close()
	for i, rp := range p.ReadonlyPaths {
		if err := readonlyPath(root, rp); err != nil {
			return fmt.Errorf("linux.readonlyPaths[%d] (%s): %w", i, rp, err)
		}
	}
	var null *os.File
	defer func() {
		if null != nil {
			null.Close()
		}
	}()
	for i, mp := range p.MaskedPaths {
		if err := maskPath(root, mp, &null); err != nil {
			return fmt.Errorf("linux.maskedPaths[%d] (%s): %w", i, mp, err)
		}
	}
	if p.ReadonlyRoot {
		if err := setAttrs(int(root.Fd()), AttrChange{Set: AttrReadOnly}, false); err != nil {
			return fmt.Errorf("root.readonly: %w", err)
		}
	}
	if rp := p.RootPropagation; rp != nil {
		if err := setPropagation(int(root.Fd()), *rp); err != nil {
			return fmt.Errorf("linux.rootfsPropagation: %w", err)
		}
	}
	return nil
}

// openExisting opens cpath in root; (nil, nil) if it does not exist.
func openExisting(root *os.File, cpath string) (*os.File, error) {
	h, err := openInRoot(root, cpath)
	if errors.Is(err, unix.ENOENT) {
		return nil, nil
	}
	return h, err
}

// readonlyPath binds cpath onto itself read-only. Only the read-only flag
// is added: nosuid, nodev, noexec of the original are kept.
func readonlyPath(root *os.File, cpath string) error {
	h, err := openExisting(root, cpath)
	if err != nil || h == nil {
		return err
	}
	defer h.Close()
	tree, err := cloneTree(int(h.Fd()), true)
	if err != nil {
		return err
	}
	defer tree.Close()
	if err := setAttrs(int(tree.Fd()), AttrChange{Set: AttrReadOnly}, true); err != nil {
		return err
	}
	return attach(tree, h)
}

func maskPath(root *os.File, cpath string, null **os.File) error {
	h, err := openExisting(root, cpath)
	if err != nil || h == nil {
		return err
	}
	defer h.Close()
	dir, err := isDir(h)
	if err != nil {
		return err
	}
	var tree *os.File
	if dir {
		tree, err = newFilesystem("tmpfs", "tmpfs", []string{"size=0", "mode=555"}, AttrChange{Set: AttrReadOnly})
	} else {
		if *null == nil {
			if *null, err = openDevNull(root); err != nil {
				return err
			}
		}
		tree, err = cloneTree(int((*null).Fd()), false)
	}
	if err != nil {
		return err
	}
	defer tree.Close()
	return attach(tree, h)
}

// openDevNull opens the container's /dev/null and checks, on the opened
// handle, that it is the null character device (1:3): a container that
// replaced it with a link to a host file or another node must not get that
// bound over the masked paths (CVE-2025-31133).
func openDevNull(root *os.File) (*os.File, error) {
	f, err := openNoSymlinks(root, "/dev/null")
	if err == nil && f == nil {
		err = fmt.Errorf("/dev/null does not exist: %w", errdefs.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("masking: %w", err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		f.Close()
		return nil, fmt.Errorf("masking: stat /dev/null: %w", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || unix.Major(st.Rdev) != 1 || unix.Minor(st.Rdev) != 3 {
		f.Close()
		return nil, fmt.Errorf("masking: /dev/null is not the null device (mode %#o, rdev %d:%d): %w",
			st.Mode, unix.Major(st.Rdev), unix.Minor(st.Rdev), errdefs.ErrInvalidArgument)
	}
	return f, nil
}

// BindConsole binds the pty slave onto /dev/console, creating an empty file
// there if needed. The slave is bound through its descriptor, never a path
// the container could have replaced; the caller has verified it is a pty.
// Call it after PivotRoot, in the container's mount namespace. The slave
// must live on a devpts mount still attached in that namespace (the
// container's /dev/pts, e.g. opened through /dev/ptmx after PivotRoot):
// the kernel cannot clone a mount that pivot_root detached.
func BindConsole(slave *os.File) error {
	root, err := os.OpenFile("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("console: opening root: %w", err)
	}
	defer root.Close()
	tree, err := cloneTree(int(slave.Fd()), false)
	if err != nil {
		return fmt.Errorf("console: pty slave (is its devpts mounted in the container?): %w", err)
	}
	defer tree.Close()
	target, err := mountpoint(root, "/dev/console", false, true)
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	defer target.Close()
	if err := attach(tree, target); err != nil {
		return fmt.Errorf("console: %w", err)
	}
	return nil
}
