package rootfs

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/errdefs"
)

// PivotRoot makes the prepared rootfs the process's root and "/" its
// working directory. With Options.NoPivot it moves the rootfs onto "/" and
// chroots (the host's mounts then stay in the namespace, unreachable);
// otherwise it uses pivot_root and detaches the old root. Call it after
// Prepare.
func (p *Plan) PivotRoot() error {
	if p.root == nil {
		return fmt.Errorf("pivot_root: not prepared: %w", errdefs.ErrConflict)
	}
	defer func() {
		p.root.Close()
		p.root = nil
	}()
	if p.Options.NoPivot {
		return moveRoot(p.root)
	}
	return pivotRoot(p.root)
}

func pivotRoot(root *os.File) error {
	old, err := os.OpenFile("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening old root: %w", err)
	}
	defer old.Close()
	if err := unix.Fchdir(int(root.Fd())); err != nil {
		return fmt.Errorf("entering rootfs: %w", err)
	}
	// pivot_root(".", ".") stacks the old root on top of the new one, so
	// no directory for it is needed in the image.
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	// The kernel does not promise where "." is now: go to the old root
	// explicitly before detaching it.
	if err := unix.Fchdir(int(old.Fd())); err != nil {
		return fmt.Errorf("entering old root: %w", err)
	}
	// Make sure the unmount below cannot propagate to the host.
	if err := unix.Mount("", ".", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("old root: setting propagation: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detaching old root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("chdir /: %w", err)
	}
	return nil
}

func moveRoot(root *os.File) error {
	if err := unix.Fchdir(int(root.Fd())); err != nil {
		return fmt.Errorf("entering rootfs: %w", err)
	}
	if err := unix.Mount(".", "/", "", unix.MS_MOVE, ""); err != nil {
		return fmt.Errorf("moving rootfs onto /: %w", err)
	}
	if err := unix.Chroot("."); err != nil {
		return fmt.Errorf("chroot: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("chdir /: %w", err)
	}
	return nil
}
