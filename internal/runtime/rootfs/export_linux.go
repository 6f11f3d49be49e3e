package rootfs

import "golang.org/x/sys/unix"

// MountAttr returns the mount_setattr(2) set and clear masks of c; both are
// zero when c changes nothing. The C init (package cinit) applies them.
func MountAttr(c AttrChange) (set, clr uint64) {
	if c.IsZero() {
		return 0, 0
	}
	ma := mountAttr(c)
	return ma.Attr_set, ma.Attr_clr
}

// FsmountAttr returns the attributes fsmount(2) gets for a new filesystem
// mounted with c (its Set and Atime; Clear has nothing to clear yet).
func FsmountAttr(c AttrChange) uint64 {
	return mountAttr(AttrChange{Set: c.Set, Atime: c.Atime}).Attr_set
}

// PropagationFlag returns the MS_* flag of t.
func PropagationFlag(t Propagation) uint64 { return unixPropagation(t) }

// ReadOnlyAttr is MOUNT_ATTR_RDONLY when a has AttrReadOnly, else 0.
func ReadOnlyAttr(a Attr) uint64 { return unixAttr(a & AttrReadOnly) }

// MknodArgs returns the mode (file type and permissions) and device number
// mknod(2) gets for d.
func (d Device) MknodArgs() (mode uint32, dev uint64) {
	mode = uint32(d.Mode.Perm())
	switch d.Type {
	case DeviceChar:
		mode |= unix.S_IFCHR
	case DeviceBlock:
		mode |= unix.S_IFBLK
	case DeviceFifo:
		mode |= unix.S_IFIFO
	}
	return mode, unix.Mkdev(uint32(d.Major), uint32(d.Minor))
}
