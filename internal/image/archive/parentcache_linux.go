package archive

import (
	"errors"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// parentCache keeps the handle of the directory the last entry went into:
// layer tars list a directory's entries together, so most entries reuse
// it instead of resolving their parent again. Anything that removes a
// directory drops it (a handle on a removed directory would make later
// entries fail, never escape: creating in a deleted directory is ENOENT).
type parentCache struct {
	dir string
	h   *dirHandle // nil when empty
	// setgid is whether the directory has S_ISGID: its new entries then
	// take its group, not the creator's.
	setgid bool
}

// dirHandle is a directory handle shared by the cache and the file jobs
// still writing into it; the last one to let go closes it.
type dirHandle struct {
	fd   int
	refs atomic.Int32
}

func (h *dirHandle) acquire() { h.refs.Add(1) }

func (h *dirHandle) release() {
	if h.refs.Add(-1) == 0 {
		unix.Close(h.fd)
	}
}

func (c *parentCache) drop() {
	if c.h != nil {
		c.h.release()
	}
	c.dir, c.h = "", nil
}

// holds reports whether fd is the cached handle.
func (c *parentCache) holds(fd int) bool { return c.h != nil && c.h.fd == fd }

// parent returns a handle on dir for entry name, creating missing
// directories; the cache owns it (callers do not close it).
func (a *applier) parent(name, dir string) (int, error) {
	if a.cache.h != nil && a.cache.dir == dir {
		return a.cache.h.fd, nil
	}
	fd, err := a.openParent(name, dir, true)
	if err != nil {
		return -1, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, err
	}
	a.cache.drop()
	h := &dirHandle{fd: fd}
	h.refs.Store(1)
	a.cache.dir, a.cache.h, a.cache.setgid = dir, h, st.Mode&unix.S_ISGID != 0
	return fd, nil
}

// removeAt is removeAllAt that drops the cached parent when it removes a
// directory that may be, or hold, the cached one. Removing an entry of the
// cached directory itself (the current entry's parent) keeps it valid, and
// keeps the handle the caller is using open.
func (a *applier) removeAt(parent int, base string) error {
	err := unix.Unlinkat(parent, base, 0)
	if err == nil || errors.Is(err, unix.ENOENT) {
		return nil
	}
	if !a.cache.holds(parent) {
		a.cache.drop()
	}
	return removeAllAt(parent, base)
}
