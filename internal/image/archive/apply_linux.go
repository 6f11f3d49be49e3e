package archive

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// resolveFlags keep every lookup inside the root and refuse any symlink on
// the way, so a layer cannot redirect a later entry anywhere.
const resolveFlags = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS

type dirTimes struct {
	path         string
	atime, mtime time.Time
}

// applier holds the state of one Apply: a handle on the root, the paths this
// layer wrote (for opaque directories in Flatten mode), and the directory
// times to set at the end.
type applier struct {
	root    int
	opts    options
	written map[string]bool
	dirs    []dirTimes
	// implicit holds the directories created without an entry of their
	// own, when CollectImplicitDirs asks for them.
	implicit map[string]bool
	cache    parentCache
	// uid and gid a new entry gets without chown; umask as the kernel
	// applies it to the mode given at creation.
	uid, gid int
	umask    uint32
	buf      []byte
	pool     *pool // nil unless ParallelFiles
}

func newApplier(dir string, o options) (*applier, error) {
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("opening layer directory: %w", &os.PathError{Op: "open", Path: dir, Err: err})
	}
	a := &applier{root: fd, opts: o, written: map[string]bool{".": true},
		uid: unix.Geteuid(), gid: unix.Getegid(), umask: currentUmask()}
	if o.fileWorkers > 1 {
		a.pool = a.startPool(o.fileWorkers)
	}
	return a, nil
}

func (a *applier) close() {
	if a.pool != nil {
		a.pool.stop()
	}
	a.cache.drop()
	unix.Close(a.root)
}

// mark records that this layer wrote p, which only Flatten's opaque
// directories need to know.
func (a *applier) mark(p string) {
	if a.opts.flatten {
		a.written[p] = true
	}
}

// entry extracts one tar entry.
func (a *applier) entry(hdr *tar.Header, r io.Reader) error {
	p, err := cleanName(hdr.Name)
	if err != nil {
		return refuse(hdr.Name, err.Error())
	}
	switch hdr.Typeflag {
	case tar.TypeXGlobalHeader:
		return nil
	case tar.TypeChar, tar.TypeBlock:
		if a.opts.noDevices {
			return refuse(hdr.Name, "device nodes are not allowed")
		}
	}
	if p == "." {
		return nil
	}
	dir, base := splitPath(p)
	if a.pool != nil {
		// File jobs may be writing: wait for them unless this entry is
		// of a kind that touches only its own path and that path is
		// clear of theirs.
		if err := a.pool.failure(); err != nil {
			return err
		}
		if !ownPathOnly(hdr, base) || a.pool.conflicts(p) {
			if err := a.pool.barrier(); err != nil {
				return err
			}
		}
	}
	if strings.HasPrefix(base, whiteoutMeta) {
		if base == whiteoutOpaque {
			return a.opaque(hdr.Name, dir)
		}
		return nil
	}
	if hidden, ok := whiteoutTarget(base); ok {
		return a.whiteout(hdr, dir, hidden)
	}

	parent, err := a.parent(hdr.Name, dir)
	if err != nil {
		return err
	}

	switch hdr.Typeflag {
	case tar.TypeDir:
		if err := a.mkdir(hdr.Name, parent, base); err != nil {
			return err
		}
		delete(a.implicit, p)
	case tar.TypeReg:
		// file creates with O_EXCL and clears only what is in the way.
	default:
		if err := a.clear(hdr.Name, parent, base); err != nil {
			return err
		}
	}
	a.mark(p)

	switch hdr.Typeflag {
	case tar.TypeReg:
		if a.pool != nil && hdr.Size <= maxJobFile {
			return a.dispatch(hdr, p, dir, parent, base, r)
		}
		return a.file(hdr, parent, base, r)
	case tar.TypeDir:
		a.dirs = append(a.dirs, dirTimes{path: p, atime: hdr.AccessTime, mtime: hdr.ModTime})
		return a.attrs(hdr, parent, base)
	case tar.TypeSymlink:
		if err := unix.Symlinkat(hdr.Linkname, parent, base); err != nil {
			return fmt.Errorf("layer entry %q: symlink: %w", hdr.Name, err)
		}
		return a.attrs(hdr, parent, base)
	case tar.TypeLink:
		return a.link(hdr, parent, base)
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		mode := uint32(unix.S_IFIFO)
		switch hdr.Typeflag {
		case tar.TypeChar:
			mode = unix.S_IFCHR
		case tar.TypeBlock:
			mode = unix.S_IFBLK
		}
		dev := int(unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor)))
		if err := unix.Mknodat(parent, base, mode|0o600, dev); err != nil {
			return fmt.Errorf("layer entry %q: mknod: %w", hdr.Name, err)
		}
		return a.attrs(hdr, parent, base)
	default:
		return refuse(hdr.Name, fmt.Sprintf("unsupported tar entry type %q", hdr.Typeflag))
	}
}

// openParent returns an O_PATH handle on dir (relative to the root), creating
// missing directories (0755, owned by the caller) when create is set.
func (a *applier) openParent(name, dir string, create bool) (int, error) {
	fd, err := a.openat2(dir, unix.O_PATH|unix.O_DIRECTORY)
	if err == nil || !errors.Is(err, unix.ENOENT) || !create {
		if err != nil {
			return -1, resolveError(name, dir, err)
		}
		return fd, nil
	}
	// Walk down, creating what is missing, one component at a time.
	cur, err := unix.Dup(a.root)
	if err != nil {
		return -1, err
	}
	walked := ""
	for _, c := range strings.Split(dir, "/") {
		walked = path.Join(walked, c)
		if err := unix.Mkdirat(cur, c, 0o755); err == nil {
			a.mark(walked)
			if err := a.implicitAttrs(cur, c, walked); err != nil {
				unix.Close(cur)
				return -1, fmt.Errorf("layer entry %q: implicit directory %s: %w", name, walked, err)
			}
		} else if !errors.Is(err, unix.EEXIST) {
			unix.Close(cur)
			return -1, resolveError(name, walked, err)
		}
		next, err := unix.Openat2(cur, c, &unix.OpenHow{
			Flags: unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC | unix.O_NOFOLLOW, Resolve: resolveFlags,
		})
		unix.Close(cur)
		if err != nil {
			return -1, resolveError(name, walked, err)
		}
		cur = next
	}
	return cur, nil
}

// implicitAttrs gives a directory Apply created on its own the attributes
// of the same directory in the nearest lower layer, or 0755.
func (a *applier) implicitAttrs(parent int, base, p string) error {
	if a.opts.implicit != nil {
		if a.implicit == nil {
			a.implicit = map[string]bool{}
		}
		a.implicit[p] = true
		return unix.Fchmodat(parent, base, 0o755, 0)
	}
	from := lowerDir(a.opts.lower, p)
	if from == nil {
		// Mkdirat applied the umask; say exactly what was meant.
		return unix.Fchmodat(parent, base, 0o755, 0)
	}
	if err := copyDirAttrs(parent, base, from, false); err != nil {
		return err
	}
	a.dirs = append(a.dirs, dirTimes{path: p,
		atime: time.Unix(from.Atim.Sec, from.Atim.Nsec), mtime: time.Unix(from.Mtim.Sec, from.Mtim.Nsec)})
	return nil
}

// lowerDir returns the attributes of p in the nearest lower that has it,
// if that is a directory.
func lowerDir(lower []string, p string) *unix.Stat_t {
	for _, l := range lower {
		st, err := statBeneath(l, p)
		if errors.Is(err, unix.ENOENT) {
			continue
		}
		if err == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
			return st
		}
		break // the nearest entry decides, whatever it is
	}
	return nil
}

// copyDirAttrs gives directory base the owner and mode of from, and its
// times too when times is set.
func copyDirAttrs(parent int, base string, from *unix.Stat_t, times bool) error {
	if err := unix.Fchownat(parent, base, int(from.Uid), int(from.Gid), unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return err
	}
	if err := unix.Fchmodat(parent, base, from.Mode&0o7777, 0); err != nil {
		return err
	}
	if !times {
		return nil
	}
	ts := []unix.Timespec{from.Atim, from.Mtim}
	return unix.UtimesNanoAt(parent, base, ts, unix.AT_SYMLINK_NOFOLLOW)
}

// statBeneath stats p inside dir without following symlinks on the way.
func statBeneath(dir, p string) (*unix.Stat_t, error) {
	root, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(root)
	fd, err := unix.Openat2(root, p, &unix.OpenHow{Flags: unix.O_PATH | unix.O_NOFOLLOW | unix.O_CLOEXEC, Resolve: resolveFlags})
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

func (a *applier) openat2(p string, flags uint64) (int, error) {
	return unix.Openat2(a.root, p, &unix.OpenHow{Flags: flags | unix.O_CLOEXEC, Resolve: resolveFlags})
}

// resolveError explains why a path could not be resolved inside the root.
func resolveError(name, p string, err error) error {
	switch {
	case errors.Is(err, unix.ELOOP):
		return refuse(name, fmt.Sprintf("path %q goes through a symlink", p))
	case errors.Is(err, unix.ENOTDIR):
		return refuse(name, fmt.Sprintf("path %q goes through a non-directory", p))
	case errors.Is(err, unix.EXDEV):
		return refuse(name, fmt.Sprintf("path %q leaves the layer directory", p))
	case errors.Is(err, unix.ENAMETOOLONG):
		return refuse(name, "name too long")
	}
	return fmt.Errorf("layer entry %q: resolving %q: %w", name, p, err)
}

// mkdir makes base a directory, keeping an existing directory (a tar may
// name a directory again) and replacing anything else.
func (a *applier) mkdir(name string, parent int, base string) error {
	err := unix.Mkdirat(parent, base, 0o700)
	if err == nil || !errors.Is(err, unix.EEXIST) {
		if err != nil {
			return fmt.Errorf("layer entry %q: mkdir: %w", name, err)
		}
		return nil
	}
	var st unix.Stat_t
	if err := unix.Fstatat(parent, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("layer entry %q: stat: %w", name, err)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return nil
	}
	if err := a.clear(name, parent, base); err != nil {
		return err
	}
	if err := unix.Mkdirat(parent, base, 0o700); err != nil {
		return fmt.Errorf("layer entry %q: mkdir: %w", name, err)
	}
	return nil
}

// clear removes whatever is at base, so a later entry replaces an earlier one.
func (a *applier) clear(name string, parent int, base string) error {
	if err := a.removeAt(parent, base); err != nil {
		return fmt.Errorf("layer entry %q: replacing existing entry: %w", name, err)
	}
	return nil
}

func (a *applier) file(hdr *tar.Header, parent int, base string, r io.Reader) error {
	if a.buf == nil {
		a.buf = make([]byte, 256<<10)
	}
	return a.writeFile(hdr, parent, a.cache.setgid, base, r, a.buf, func() error { return a.clear(hdr.Name, parent, base) })
}

// writeFile creates regular file base in parent with r's content and hdr's
// attributes; setgid says parent has S_ISGID, clear removes what is in the
// way. It keeps no state of the applier's, so file jobs can run it.
func (a *applier) writeFile(hdr *tar.Header, parent int, setgid bool, base string, r io.Reader, buf []byte, clear func() error) error {
	// Create with the final permissions when the umask leaves them alone
	// and there are no special bits (chown would clear those): most files
	// then need neither chown nor chmod.
	mode := modeBits(hdr)
	direct := mode&^0o777 == 0 && mode&a.umask == 0
	create := uint32(0o600)
	if direct {
		create = mode
	}
	const flags = unix.O_WRONLY | unix.O_CREAT | unix.O_EXCL | unix.O_NOFOLLOW | unix.O_CLOEXEC
	fd, err := unix.Openat(parent, base, flags, create)
	if errors.Is(err, unix.EEXIST) {
		// An earlier entry of this layer is in the way: replace it.
		if err := clear(); err != nil {
			return err
		}
		fd, err = unix.Openat(parent, base, flags, create)
	}
	if err != nil {
		return fmt.Errorf("layer entry %q: create: %w", hdr.Name, err)
	}
	f := os.NewFile(uintptr(fd), hdr.Name)
	defer f.Close()
	if _, err := io.CopyBuffer(writerOnly{f}, r, buf); err != nil {
		return fmt.Errorf("layer entry %q: writing content: %w", hdr.Name, err)
	}
	if hdr.Uid != a.uid || hdr.Gid != a.gid || setgid {
		if err := unix.Fchown(fd, hdr.Uid, hdr.Gid); err != nil {
			return fmt.Errorf("layer entry %q: chown: %w", hdr.Name, err)
		}
		direct = false
	}
	if !direct {
		if err := unix.Fchmod(fd, mode); err != nil {
			return fmt.Errorf("layer entry %q: chmod: %w", hdr.Name, err)
		}
	}
	for k, v := range entryXattrs(hdr) {
		if err := unix.Fsetxattr(fd, k, []byte(v), 0); err != nil {
			return fmt.Errorf("layer entry %q: setting xattr %s: %w", hdr.Name, k, err)
		}
	}
	return setTimes(hdr.Name, parent, base, hdr.AccessTime, hdr.ModTime)
}

// attrs sets owner, mode, xattrs and (except for directories, whose times
// wait for their contents) times on a just-created entry.
func (a *applier) attrs(hdr *tar.Header, parent int, base string) error {
	if err := unix.Fchownat(parent, base, hdr.Uid, hdr.Gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("layer entry %q: chown: %w", hdr.Name, err)
	}
	if hdr.Typeflag != tar.TypeSymlink {
		// The entry was created by this Apply in a directory resolved
		// without symlinks, and is not a symlink: following is harmless.
		if err := unix.Fchmodat(parent, base, modeBits(hdr), 0); err != nil {
			return fmt.Errorf("layer entry %q: chmod: %w", hdr.Name, err)
		}
	}
	if x := entryXattrs(hdr); len(x) > 0 {
		if err := setXattrs(parent, base, x); err != nil {
			return fmt.Errorf("layer entry %q: %w", hdr.Name, err)
		}
	}
	if hdr.Typeflag == tar.TypeDir {
		return nil
	}
	return setTimes(hdr.Name, parent, base, hdr.AccessTime, hdr.ModTime)
}

// setXattrs sets attributes through an O_PATH handle of the entry itself
// (not following a final symlink), reached via its /proc/self/fd link.
func setXattrs(parent int, base string, x map[string]string) error {
	fd, err := unix.Openat(parent, base, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening for xattrs: %w", err)
	}
	defer unix.Close(fd)
	p := fmt.Sprintf("/proc/self/fd/%d", fd)
	for k, v := range x {
		if err := unix.Setxattr(p, k, []byte(v), 0); err != nil {
			return fmt.Errorf("setting xattr %s: %w", k, err)
		}
	}
	return nil
}

func (a *applier) link(hdr *tar.Header, parent int, base string) error {
	target, err := cleanName(hdr.Linkname)
	if err != nil {
		return refuse(hdr.Name, "hard link target: "+err.Error())
	}
	if target == "." {
		return refuse(hdr.Name, "hard link to the layer root")
	}
	tdir, tbase := splitPath(target)
	tparent, err := a.openParent(hdr.Name, tdir, false)
	if errors.Is(err, unix.ENOENT) {
		return refuse(hdr.Name, fmt.Sprintf("hard link target %q is not in this layer", hdr.Linkname))
	}
	if err != nil {
		return err
	}
	defer unix.Close(tparent)
	if err := unix.Linkat(tparent, tbase, parent, base, 0); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return refuse(hdr.Name, fmt.Sprintf("hard link target %q is not in this layer", hdr.Linkname))
		}
		return fmt.Errorf("layer entry %q: link to %q: %w", hdr.Name, hdr.Linkname, err)
	}
	return nil
}

// whiteout records that hidden (in dir) is deleted by this layer.
func (a *applier) whiteout(hdr *tar.Header, dir, hidden string) error {
	name := hdr.Name
	if hidden == "" || hidden == "." || hidden == ".." {
		return refuse(name, "whiteout names no file")
	}
	parent, err := a.openParent(name, dir, !a.opts.flatten)
	if a.opts.flatten && errors.Is(err, unix.ENOENT) {
		return nil // nothing below to hide
	}
	if err != nil {
		return err
	}
	defer unix.Close(parent)
	if err := a.clear(name, parent, hidden); err != nil {
		return err
	}
	if a.opts.flatten {
		return nil
	}
	// overlayfs reads a 0:0 character device as "deleted".
	if err := unix.Mknodat(parent, hidden, unix.S_IFCHR, 0); err != nil {
		return fmt.Errorf("layer entry %q: creating whiteout: %w", name, err)
	}
	a.mark(path.Join(dir, hidden))
	return setTimes(name, parent, hidden, hdr.AccessTime, hdr.ModTime)
}

// opaque records that dir hides everything the layers below put in it.
func (a *applier) opaque(name, dir string) error {
	parent, err := a.openParent(name, dir, true)
	if err != nil {
		return err
	}
	unix.Close(parent)
	if a.opts.flatten {
		return a.clearBelow(name, dir)
	}
	fd, err := a.openat2(dir, unix.O_RDONLY|unix.O_DIRECTORY)
	if err != nil {
		return resolveError(name, dir, err)
	}
	defer unix.Close(fd)
	if err := unix.Fsetxattr(fd, "trusted.overlay.opaque", []byte("y"), 0); err != nil {
		return fmt.Errorf("layer entry %q: marking %q opaque: %w", name, dir, err)
	}
	return nil
}

// clearBelow removes from dir everything this layer did not write.
func (a *applier) clearBelow(name, dir string) error {
	fd, err := a.openat2(dir, unix.O_RDONLY|unix.O_DIRECTORY)
	if err != nil {
		return resolveError(name, dir, err)
	}
	f := os.NewFile(uintptr(fd), dir)
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("layer entry %q: listing %q: %w", name, dir, err)
	}
	for _, n := range names {
		p := path.Join(dir, n)
		if !a.written[p] {
			if err := a.removeAt(fd, n); err != nil {
				return fmt.Errorf("layer entry %q: clearing %q: %w", name, p, err)
			}
			continue
		}
		var st unix.Stat_t
		if err := unix.Fstatat(fd, n, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return fmt.Errorf("layer entry %q: stat %q: %w", name, p, err)
		}
		if st.Mode&unix.S_IFMT == unix.S_IFDIR {
			if err := a.clearBelow(name, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// finish sets directory times, now that nothing more is written below them,
// and hands out the implicit directories.
func (a *applier) finish() error {
	if a.pool != nil {
		if err := a.pool.barrier(); err != nil {
			return err
		}
	}
	if a.opts.implicit != nil {
		*a.opts.implicit = (*a.opts.implicit)[:0]
		for p := range a.implicit {
			*a.opts.implicit = append(*a.opts.implicit, p)
		}
		sort.Strings(*a.opts.implicit)
	}
	for _, d := range a.dirs {
		dir, base := splitPath(d.path)
		parent, err := a.openParent(d.path, dir, false)
		if errors.Is(err, unix.ENOENT) {
			continue // removed by a later whiteout
		}
		if err != nil {
			return err
		}
		err = setTimes(d.path, parent, base, d.atime, d.mtime)
		unix.Close(parent)
		if err != nil && !errors.Is(err, unix.ENOENT) {
			return err
		}
	}
	return nil
}

func setTimes(name string, parent int, base string, atime, mtime time.Time) error {
	if atime.IsZero() {
		atime = mtime
	}
	ts := []unix.Timespec{timespec(atime), timespec(mtime)}
	if err := unix.UtimesNanoAt(parent, base, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("layer entry %q: setting times: %w", name, err)
	}
	return nil
}

func timespec(t time.Time) unix.Timespec {
	return unix.Timespec{Sec: t.Unix(), Nsec: int64(t.Nanosecond())}
}

// modeBits maps a tar mode to chmod bits, keeping setuid, setgid and sticky.
func modeBits(hdr *tar.Header) uint32 {
	m := uint32(hdr.Mode & 0o777)
	if hdr.Mode&04000 != 0 {
		m |= unix.S_ISUID
	}
	if hdr.Mode&02000 != 0 {
		m |= unix.S_ISGID
	}
	if hdr.Mode&01000 != 0 {
		m |= unix.S_ISVTX
	}
	return m
}

// removeAllAt removes base in parent and, for a directory, all it holds,
// without following symlinks. A missing base is not an error.
func removeAllAt(parent int, base string) error {
	err := unix.Unlinkat(parent, base, 0)
	if err == nil || errors.Is(err, unix.ENOENT) {
		return nil
	}
	if !errors.Is(err, unix.EISDIR) && !errors.Is(err, unix.EPERM) {
		return err
	}
	fd, err := unix.Openat(parent, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(fd), base)
	names, err := f.Readdirnames(-1)
	if err == nil {
		for _, n := range names {
			if err = removeAllAt(fd, n); err != nil {
				break
			}
		}
	}
	f.Close()
	if err != nil {
		return err
	}
	return unix.Unlinkat(parent, base, unix.AT_REMOVEDIR)
}
