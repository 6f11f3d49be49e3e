package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/errdefs"
)

// Prepare builds the container's filesystem under the rootfs. It must run in
// the container's own mount namespace (anything else would change the
// host), before PivotRoot:
//
//  1. "/" becomes rslave (or the rootfsPropagation), so no mount made here
//     propagates back to the host;
//  2. the rootfs is bound onto itself (pivot_root needs a mount point);
//  3. the config's mounts, in order;
//  4. /dev: devices and symlinks, unless the config binds /dev.
func (p *Plan) Prepare() error {
	if p.root != nil {
		return fmt.Errorf("prepare: already prepared: %w", errdefs.ErrConflict)
	}
	if err := p.isolateRoot(); err != nil {
		return err
	}
	for _, m := range p.Mounts {
		if err := p.applyMount(m); err != nil {
			return fmt.Errorf("mounts[%d] (%s): %w", m.Index, m.Destination, err)
		}
	}
	if !p.SetupDev {
		return nil
	}
	for _, d := range p.Devices {
		if err := p.createDevice(d); err != nil {
			return fmt.Errorf("device %s: %w", d.Path, err)
		}
	}
	for _, l := range p.Symlinks {
		if err := p.createSymlink(l); err != nil {
			return fmt.Errorf("symlink %s: %w", l.Path, err)
		}
	}
	return nil
}

func (p *Plan) isolateRoot() error {
	flags := uintptr(unix.MS_SLAVE | unix.MS_REC)
	if rp := p.RootPropagation; rp != nil {
		flags = uintptr(unixPropagation(rp.Type))
		if rp.Recursive {
			flags |= unix.MS_REC
		}
	}
	if err := unix.Mount("", "/", "", flags, ""); err != nil {
		return fmt.Errorf("setting propagation of /: %w", err)
	}
	dir, err := os.OpenFile(p.Rootfs, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening rootfs: %w", err)
	}
	defer dir.Close()
	tree, err := cloneTree(int(dir.Fd()), true)
	if err != nil {
		return fmt.Errorf("binding rootfs: %w", err)
	}
	if err := attach(tree, dir); err != nil {
		tree.Close()
		return fmt.Errorf("binding rootfs: %w", err)
	}
	if p.RootPropagation != nil && p.RootPropagation.Type == PropagationShared {
		// pivot_root refuses a shared new root or parent; Finalize
		// applies the shared propagation once the root is switched.
		for _, f := range []*os.File{dir, tree} {
			if err := setPropagation(int(f.Fd()), PropagationChange{Type: PropagationPrivate}); err != nil {
				tree.Close()
				return fmt.Errorf("rootfs: %w", err)
			}
		}
	}
	p.root = tree
	return nil
}

func (p *Plan) applyMount(m Mount) error {
	switch m.Kind {
	case KindBind:
		tree, err := p.bind(m.Source, m.Destination, m.Recursive, m.Attrs, m.RecursiveAttrs, m.Protected)
		if err != nil {
			return err
		}
		defer tree.Close()
		return propagate(tree, m.Propagation)
	case KindFilesystem:
		mnt, err := p.mountFilesystem(p.root, m)
		if err != nil {
			return err
		}
		defer mnt.Close()
		return propagate(mnt, m.Propagation)
	case KindCgroupV1:
		return p.mountCgroupV1(m)
	}
	return fmt.Errorf("unknown mount kind %d: %w", m.Kind, errdefs.ErrInvalidArgument)
}

func propagate(mnt *os.File, pcs []PropagationChange) error {
	for _, pc := range pcs {
		if err := setPropagation(int(mnt.Fd()), pc); err != nil {
			return err
		}
	}
	return nil
}

// bind clones the host path src onto dst inside the rootfs and returns the
// attached mount.
func (p *Plan) bind(src, dst string, recursive bool, attrs, rattrs AttrChange, protected bool) (*os.File, error) {
	sf, err := os.OpenFile(src, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("bind source: %w", err)
	}
	defer sf.Close()
	dir, err := isDir(sf)
	if err != nil {
		return nil, fmt.Errorf("bind source %s: %w", src, err)
	}
	tree, err := cloneTree(int(sf.Fd()), recursive)
	if err != nil {
		return nil, fmt.Errorf("bind %s: %w", src, err)
	}
	if err := configureAndAttach(tree, p.root, dst, dir, attrs, rattrs, protected); err != nil {
		tree.Close()
		return nil, err
	}
	return tree, nil
}

func configureAndAttach(tree, root *os.File, dst string, dir bool, attrs, rattrs AttrChange, protected bool) error {
	if err := setAttrs(int(tree.Fd()), rattrs, true); err != nil {
		return err
	}
	if err := setAttrs(int(tree.Fd()), attrs, false); err != nil {
		return err
	}
	target, err := mountpoint(root, dst, dir, protected)
	if err != nil {
		return err
	}
	defer target.Close()
	return attach(tree, target)
}

// mountFilesystem mounts a new filesystem at m.Destination under root.
func (p *Plan) mountFilesystem(root *os.File, m Mount) (*os.File, error) {
	mnt, err := newFilesystem(m.Type, m.Source, m.Data, m.Attrs)
	if err != nil {
		return nil, err
	}
	if err := setAttrs(int(mnt.Fd()), m.RecursiveAttrs, true); err != nil {
		mnt.Close()
		return nil, err
	}
	target, err := mountpoint(root, m.Destination, true, m.Protected)
	if err != nil {
		mnt.Close()
		return nil, err
	}
	defer target.Close()
	// A filesystem's root is a directory: it can only cover a directory
	// (and "/proc" that is a file or a link elsewhere is an attack).
	if ok, err := isDir(target); err != nil || !ok {
		mnt.Close()
		return nil, fmt.Errorf("%s must be a directory to mount %s on it: %w", m.Destination, m.Type, errdefs.ErrInvalidArgument)
	}
	if err := attach(mnt, target); err != nil {
		mnt.Close()
		return nil, err
	}
	return mnt, nil
}

// mountCgroupV1 mounts a tmpfs holding one directory per cgroup v1
// hierarchy, each a cgroupfs mount or a bind of the container's cgroup.
func (p *Plan) mountCgroupV1(m Mount) error {
	top := Mount{Type: "tmpfs", Source: "tmpfs", Destination: m.Destination, Data: m.Data, Protected: m.Protected,
		Attrs: AttrChange{Set: m.Attrs.Set &^ AttrReadOnly, Atime: m.Attrs.Atime}}
	tmpfs, err := p.mountFilesystem(p.root, top)
	if err != nil {
		return err
	}
	defer tmpfs.Close()
	sub := m.Attrs
	sub.Clear = 0
	for _, h := range m.Cgroups {
		dst := path.Join("/", h.Dir)
		if h.HostPath != "" {
			tree, err := p.bindInto(tmpfs, h.HostPath, dst, sub)
			if err != nil {
				return fmt.Errorf("cgroup %s: %w", h.Dir, err)
			}
			tree.Close()
		} else {
			var data []string
			data = append(data, h.Controllers...)
			mnt, err := p.mountFilesystem(tmpfs, Mount{Type: "cgroup", Source: "cgroup", Destination: dst, Data: data, Attrs: sub})
			if err != nil {
				return fmt.Errorf("cgroup %s: %w", h.Dir, err)
			}
			mnt.Close()
		}
		for _, l := range h.Links {
			if l == h.Dir {
				continue
			}
			if err := unix.Symlinkat(h.Dir, int(tmpfs.Fd()), l); err != nil && !errors.Is(err, unix.EEXIST) {
				return fmt.Errorf("cgroup link %s: %w", l, err)
			}
		}
	}
	if err := propagate(tmpfs, m.Propagation); err != nil {
		return err
	}
	return setAttrs(int(tmpfs.Fd()), AttrChange{Set: m.Attrs.Set & AttrReadOnly}, false)
}

// bindInto binds the host path src onto dst under the directory handle dir.
func (p *Plan) bindInto(dir *os.File, src, dst string, attrs AttrChange) (*os.File, error) {
	sf, err := os.OpenFile(src, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer sf.Close()
	tree, err := cloneTree(int(sf.Fd()), false)
	if err != nil {
		return nil, err
	}
	if err := configureAndAttach(tree, dir, dst, true, attrs, AttrChange{}, false); err != nil {
		tree.Close()
		return nil, err
	}
	return tree, nil
}

// createDevice makes d inside the rootfs: mknod, or under a user namespace
// (where mknod is refused) a bind of the host's node of the same path.
func (p *Plan) createDevice(d Device) error {
	if p.Options.UserNS {
		tree, err := p.bind(d.Path, d.Path, false, AttrChange{}, AttrChange{}, true)
		if err != nil {
			return err
		}
		return tree.Close()
	}
	parent, err := p.parentDir(d.Path)
	if err != nil {
		return err
	}
	defer parent.Close()
	name := path.Base(d.Path)
	mode, dev := d.MknodArgs()
	old := unix.Umask(0)
	err = unix.Mknodat(int(parent.Fd()), name, mode, int(dev))
	if errors.Is(err, unix.EEXIST) {
		// Replace what the image put there (not a directory).
		if err = unix.Unlinkat(int(parent.Fd()), name, 0); err == nil {
			err = unix.Mknodat(int(parent.Fd()), name, mode, int(dev))
		}
	}
	unix.Umask(old)
	if err != nil {
		return fmt.Errorf("mknod: %w", err)
	}
	if err := unix.Fchownat(int(parent.Fd()), name, int(d.UID), int(d.GID), unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("chown: %w", err)
	}
	return nil
}

func (p *Plan) createSymlink(l Symlink) error {
	if l.IfExists != "" {
		if _, err := os.Stat(l.IfExists); err != nil {
			return nil
		}
	}
	parent, err := p.parentDir(l.Path)
	if err != nil {
		return err
	}
	defer parent.Close()
	err = unix.Symlinkat(l.Target, int(parent.Fd()), path.Base(l.Path))
	if err != nil && !errors.Is(err, unix.EEXIST) {
		return err
	}
	return nil
}

// parentDir returns a handle on the directory that will hold the /dev
// entry at cpath, creating it; a symlink on the way is refused.
func (p *Plan) parentDir(cpath string) (*os.File, error) {
	dir := path.Dir(cpath)
	if f, err := openNoSymlinks(p.root, dir); err != nil {
		return nil, err
	} else if f != nil {
		return f, nil
	}
	made, err := pathrs.MkdirAllHandle(p.root, dir, 0o755)
	if err != nil {
		return nil, err
	}
	made.Close()
	f, err := openNoSymlinks(p.root, dir)
	if err == nil && f == nil {
		err = fmt.Errorf("%s vanished", dir)
	}
	return f, err
}
