package rootfs

// Attr is a set of per-mount attributes (the MOUNT_ATTR_* of
// mount_setattr(2), named here so the plan stays free of syscalls).
type Attr uint32

// The per-mount attributes an option can set or clear.
const (
	AttrReadOnly Attr = 1 << iota
	AttrNoSuid
	AttrNoDev
	AttrNoExec
	AttrNoDiratime
	AttrNoSymfollow
)

// Atime is the access-time mode of a mount; the modes exclude each other.
type Atime uint8

// Access-time modes. AtimeUnchanged leaves the mode as it is (a new mount
// then gets the kernel default, relatime).
const (
	AtimeUnchanged Atime = iota
	AtimeRelative
	AtimeNone
	AtimeStrict
)

// AttrChange is what the options ask to change on a mount's attributes.
type AttrChange struct {
	Set   Attr
	Clear Attr
	Atime Atime
}

// IsZero reports whether the change changes nothing.
func (c AttrChange) IsZero() bool { return c == AttrChange{} }

// set records that attribute a is asked on (on=true) or off.
func (c *AttrChange) set(a Attr, on bool) {
	if on {
		c.Set |= a
		c.Clear &^= a
	} else {
		c.Clear |= a
		c.Set &^= a
	}
}

// Propagation is a mount propagation type.
type Propagation uint8

// Propagation types.
const (
	PropagationPrivate Propagation = iota + 1
	PropagationShared
	PropagationSlave
	PropagationUnbindable
)

// PropagationChange is one propagation option, in config order.
type PropagationChange struct {
	Type      Propagation
	Recursive bool
}

// optionEffect is what one mount option means.
type optionEffect struct {
	// attr with on: a per-mount attribute (applied to the top mount).
	attr Attr
	on   bool
	// atime: an access-time mode; atimeOff names the mode an option like
	// "atime" turns off (it then means "back to relatime").
	atime    Atime
	atimeOff Atime
	// recursive: attr/atime apply to every mount of the tree (rro, rnosuid...).
	recursive bool
	// bind, rbind: the mount is a bind mount.
	bind, rbind bool
	// propagation: a propagation change.
	propagation *PropagationChange
	// superblock: an option for the new filesystem's superblock, passed to
	// fsconfig as a flag with this name ("" = no effect on a new mount).
	superblock string
	// noop: accepted and ignored ("defaults").
	noop bool
}

func prop(t Propagation, rec bool) optionEffect {
	return optionEffect{propagation: &PropagationChange{Type: t, Recursive: rec}}
}

// mountOptions is the table of options runtime-spec and mount(8) define and
// runc accepts. Options absent from it are filesystem data for non-bind
// mounts and errors for bind mounts.
var mountOptions = map[string]optionEffect{
	"defaults": {noop: true},
	"bind":     {bind: true},
	"rbind":    {bind: true, rbind: true},

	"ro":          {attr: AttrReadOnly, on: true},
	"rw":          {attr: AttrReadOnly, on: false},
	"nosuid":      {attr: AttrNoSuid, on: true},
	"suid":        {attr: AttrNoSuid, on: false},
	"nodev":       {attr: AttrNoDev, on: true},
	"dev":         {attr: AttrNoDev, on: false},
	"noexec":      {attr: AttrNoExec, on: true},
	"exec":        {attr: AttrNoExec, on: false},
	"nodiratime":  {attr: AttrNoDiratime, on: true},
	"diratime":    {attr: AttrNoDiratime, on: false},
	"nosymfollow": {attr: AttrNoSymfollow, on: true},
	"symfollow":   {attr: AttrNoSymfollow, on: false},

	"relatime":      {atime: AtimeRelative},
	"norelatime":    {atimeOff: AtimeRelative},
	"noatime":       {atime: AtimeNone},
	"atime":         {atimeOff: AtimeNone},
	"strictatime":   {atime: AtimeStrict},
	"nostrictatime": {atimeOff: AtimeStrict},

	"rro":            {attr: AttrReadOnly, on: true, recursive: true},
	"rrw":            {attr: AttrReadOnly, on: false, recursive: true},
	"rnosuid":        {attr: AttrNoSuid, on: true, recursive: true},
	"rsuid":          {attr: AttrNoSuid, on: false, recursive: true},
	"rnodev":         {attr: AttrNoDev, on: true, recursive: true},
	"rdev":           {attr: AttrNoDev, on: false, recursive: true},
	"rnoexec":        {attr: AttrNoExec, on: true, recursive: true},
	"rexec":          {attr: AttrNoExec, on: false, recursive: true},
	"rnodiratime":    {attr: AttrNoDiratime, on: true, recursive: true},
	"rdiratime":      {attr: AttrNoDiratime, on: false, recursive: true},
	"rnosymfollow":   {attr: AttrNoSymfollow, on: true, recursive: true},
	"rsymfollow":     {attr: AttrNoSymfollow, on: false, recursive: true},
	"rrelatime":      {atime: AtimeRelative, recursive: true},
	"rnorelatime":    {atimeOff: AtimeRelative, recursive: true},
	"rnoatime":       {atime: AtimeNone, recursive: true},
	"ratime":         {atimeOff: AtimeNone, recursive: true},
	"rstrictatime":   {atime: AtimeStrict, recursive: true},
	"rnostrictatime": {atimeOff: AtimeStrict, recursive: true},

	"private":     prop(PropagationPrivate, false),
	"rprivate":    prop(PropagationPrivate, true),
	"shared":      prop(PropagationShared, false),
	"rshared":     prop(PropagationShared, true),
	"slave":       prop(PropagationSlave, false),
	"rslave":      prop(PropagationSlave, true),
	"unbindable":  prop(PropagationUnbindable, false),
	"runbindable": prop(PropagationUnbindable, true),

	// Superblock flags: meaningful for a new filesystem, ignored by binds
	// (a bind mount shares the source's superblock).
	"sync":       {superblock: "sync"},
	"async":      {noop: true},
	"dirsync":    {superblock: "dirsync"},
	"mand":       {superblock: "mand"},
	"nomand":     {noop: true},
	"lazytime":   {superblock: "lazytime"},
	"nolazytime": {noop: true},
	"acl":        {superblock: "posixacl"},
	"noacl":      {noop: true},
	"iversion":   {noop: true},
	"noiversion": {noop: true},
	"silent":     {noop: true},
	"loud":       {noop: true},
}

// parsedOptions is the meaning of one mount's option list.
type parsedOptions struct {
	bind, rbind  bool
	attrs        AttrChange
	recursive    AttrChange
	propagations []PropagationChange
	data         []string // unknown options and superblock flags, in order
	unknown      []string // options not in the table
}

// parseOptions sorts options by what they do. Later options override earlier
// ones, as with mount(8).
func parseOptions(opts []string) parsedOptions {
	var p parsedOptions
	for _, o := range opts {
		e, ok := mountOptions[o]
		if !ok {
			p.unknown = append(p.unknown, o)
			p.data = append(p.data, o)
			continue
		}
		target := &p.attrs
		if e.recursive {
			target = &p.recursive
		}
		switch {
		case e.noop:
		case e.bind:
			p.bind = true
			p.rbind = p.rbind || e.rbind
		case e.propagation != nil:
			p.propagations = append(p.propagations, *e.propagation)
		case e.superblock != "":
			p.data = append(p.data, e.superblock)
		case e.atime != AtimeUnchanged:
			target.Atime = e.atime
		case e.atimeOff != AtimeUnchanged:
			if target.Atime == e.atimeOff || target.Atime == AtimeUnchanged {
				target.Atime = AtimeRelative
			}
		default:
			target.set(e.attr, e.on)
		}
	}
	return p
}
