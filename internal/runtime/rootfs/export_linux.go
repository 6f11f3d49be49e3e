package rootfs

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
