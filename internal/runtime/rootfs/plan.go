package rootfs

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cais-project/cais/internal/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Options are the facts about the container that the config alone does not
// tell the rootfs code. The zero value is a container without user or
// network namespace, started with pivot_root.
type Options struct {
	// NoPivot switches root with MS_MOVE and chroot instead of pivot_root
	// (runc's --no-pivot, for roots pivot_root refuses such as ramfs).
	NoPivot bool
	// CgroupPaths maps a cgroup hierarchy to the host directory of the
	// container's cgroup in it. v2 uses the key "". A v1 key is the
	// hierarchy's controllers as the host mounts them ("memory",
	// "cpu,cpuacct", "name=systemd"). It is used by mounts of type
	// "cgroup": bound when the container has no cgroup namespace; with one,
	// its keys say which v1 hierarchies to mount.
	CgroupPaths map[string]string
	// UserNS says a user namespace is in use: devices are bind-mounted
	// from the host instead of created, and sysfs without a network
	// namespace of its own becomes an rbind of the host's /sys.
	UserNS bool
	// NetNS says the container has its own network namespace.
	NetNS bool
}

// Kind says how a planned mount is performed.
type Kind uint8

// Kinds of mount.
const (
	// KindBind clones Source (recursively with Recursive) onto the
	// destination.
	KindBind Kind = iota + 1
	// KindFilesystem creates a new filesystem of Type from Source and Data.
	KindFilesystem
	// KindCgroupV1 is a tmpfs at the destination holding one cgroup v1
	// filesystem (or bind, see Cgroups) per hierarchy.
	KindCgroupV1
)

// Mount is one planned mount, in the order the config lists them.
type Mount struct {
	// Index is the position in the config's mounts, for error messages.
	Index int
	Kind  Kind
	// Destination is the cleaned absolute path inside the container.
	Destination string
	// Type is the filesystem type for KindFilesystem ("proc", "tmpfs"...).
	Type string
	// Source is a host path for binds (absolute), the device or dummy
	// name for filesystems.
	Source string
	// Recursive makes a bind an rbind.
	Recursive bool
	// Attrs change the top mount; RecursiveAttrs every mount of the tree.
	Attrs          AttrChange
	RecursiveAttrs AttrChange
	// Propagation changes, applied after the mount is attached, in order.
	Propagation []PropagationChange
	// Data are filesystem parameters ("size=64k", "newinstance"), each
	// passed to fsconfig as a key=value string or a flag.
	Data []string
	// Cgroups are the v1 hierarchies of a KindCgroupV1 mount.
	Cgroups []CgroupHierarchy
	// Protected is set for destinations under /proc, /sys and /dev: no
	// component of their path may be a symlink in the rootfs.
	Protected bool
}

// CgroupHierarchy is one cgroup v1 hierarchy inside a KindCgroupV1 mount.
type CgroupHierarchy struct {
	// Dir is the directory under the mount ("memory", "cpu,cpuacct",
	// "systemd").
	Dir string
	// Controllers are the mount options naming the hierarchy ("cpu",
	// "cpuacct", "name=systemd").
	Controllers []string
	// HostPath, when set, is bound instead of mounting cgroupfs (no cgroup
	// namespace).
	HostPath string
	// Links are symlinks to Dir next to it (combined hierarchies:
	// "cpu" and "cpuacct" -> "cpu,cpuacct").
	Links []string
}

// DeviceType is the kind of node a Device is.
type DeviceType uint8

// Device types.
const (
	DeviceChar DeviceType = iota + 1
	DeviceBlock
	DeviceFifo
)

// Device is one node to create (or bind from the host under a user
// namespace).
type Device struct {
	// Path is the cleaned absolute path inside the container.
	Path         string
	Type         DeviceType
	Major, Minor int64
	Mode         os.FileMode // permission bits
	UID, GID     uint32
}

// Symlink is a symlink to create inside the container.
type Symlink struct {
	Path   string // inside the container
	Target string // as written into the link
	// IfExists creates the link only if this host path exists.
	IfExists string
}

// Plan is everything NewPlan decided. Its exported fields are data for
// inspection; do not change them. A Plan is used by one goroutine, on a
// locked OS thread, once: Prepare, PivotRoot, Finalize in that order.
type Plan struct {
	// Rootfs is the absolute host path of the container's root.
	Rootfs          string
	Mounts          []Mount
	SetupDev        bool // create Devices and Symlinks in /dev
	Devices         []Device
	Symlinks        []Symlink
	MaskedPaths     []string
	ReadonlyPaths   []string
	ReadonlyRoot    bool
	RootPropagation *PropagationChange // rootfsPropagation, nil if unset
	Options         Options

	// root is a handle on the rootfs mount, from Prepare to PivotRoot.
	root *os.File
}

// defaultDevices are the nodes runtime-spec requires in every container.
var defaultDevices = []Device{
	{Path: "/dev/null", Type: DeviceChar, Major: 1, Minor: 3, Mode: 0o666},
	{Path: "/dev/zero", Type: DeviceChar, Major: 1, Minor: 5, Mode: 0o666},
	{Path: "/dev/full", Type: DeviceChar, Major: 1, Minor: 7, Mode: 0o666},
	{Path: "/dev/random", Type: DeviceChar, Major: 1, Minor: 8, Mode: 0o666},
	{Path: "/dev/urandom", Type: DeviceChar, Major: 1, Minor: 9, Mode: 0o666},
	{Path: "/dev/tty", Type: DeviceChar, Major: 5, Minor: 0, Mode: 0o666},
}

var devSymlinks = []Symlink{
	{Path: "/dev/fd", Target: "/proc/self/fd"},
	{Path: "/dev/stdin", Target: "/proc/self/fd/0"},
	{Path: "/dev/stdout", Target: "/proc/self/fd/1"},
	{Path: "/dev/stderr", Target: "/proc/self/fd/2"},
	{Path: "/dev/ptmx", Target: "pts/ptmx"},
	{Path: "/dev/core", Target: "/proc/kcore", IfExists: "/proc/kcore"},
}

// invalid returns an ErrInvalidArgument naming field.
func invalid(field, format string, args ...any) error {
	return fmt.Errorf("%s: %s: %w", field, fmt.Sprintf(format, args...), errdefs.ErrInvalidArgument)
}

// NewPlan validates spec and plans the container's filesystem. bundle is the
// bundle directory; a relative root.path and relative bind sources are
// resolved against it. Errors wrap errdefs.ErrInvalidArgument and name the
// config field. The only syscall is a stat of the rootfs.
func NewPlan(spec *specs.Spec, bundle string, opts Options) (*Plan, error) {
	if spec == nil {
		return nil, invalid("spec", "missing")
	}
	if spec.Root == nil || spec.Root.Path == "" {
		return nil, invalid("root.path", "missing")
	}
	if !filepath.IsAbs(bundle) {
		abs, err := filepath.Abs(bundle)
		if err != nil {
			return nil, fmt.Errorf("bundle %s: %w", bundle, err)
		}
		bundle = abs
	}
	p := &Plan{Options: opts, ReadonlyRoot: spec.Root.Readonly}
	p.Rootfs = spec.Root.Path
	if !filepath.IsAbs(p.Rootfs) {
		p.Rootfs = filepath.Join(bundle, p.Rootfs)
	}
	p.Rootfs = filepath.Clean(p.Rootfs)
	st, err := os.Stat(p.Rootfs)
	if err != nil {
		return nil, invalid("root.path", "%v", err)
	}
	if !st.IsDir() {
		return nil, invalid("root.path", "%s is not a directory", p.Rootfs)
	}

	cgroupNS := false
	if spec.Linux != nil {
		for _, ns := range spec.Linux.Namespaces {
			if ns.Type == specs.CgroupNamespace && ns.Path == "" {
				cgroupNS = true
			}
		}
	}
	devMount := -1
	for i, m := range spec.Mounts {
		pm, err := planMount(i, m, bundle, opts, cgroupNS)
		if err != nil {
			return nil, err
		}
		if pm.Destination == "/dev" {
			devMount = i
			if pm.Kind == KindBind {
				devMount = -2
			}
		}
		p.Mounts = append(p.Mounts, pm)
	}
	// Like runc: /dev is set up unless the config binds it from elsewhere
	// (then whoever provides it provides the devices).
	p.SetupDev = devMount != -2
	if p.SetupDev {
		if err := p.planDevices(spec); err != nil {
			return nil, err
		}
	}
	if spec.Linux != nil {
		for i, mp := range spec.Linux.MaskedPaths {
			c, err := containerPath(fmt.Sprintf("linux.maskedPaths[%d]", i), mp)
			if err != nil {
				return nil, err
			}
			p.MaskedPaths = append(p.MaskedPaths, c)
		}
		for i, rp := range spec.Linux.ReadonlyPaths {
			c, err := containerPath(fmt.Sprintf("linux.readonlyPaths[%d]", i), rp)
			if err != nil {
				return nil, err
			}
			p.ReadonlyPaths = append(p.ReadonlyPaths, c)
		}
		if rp := spec.Linux.RootfsPropagation; rp != "" {
			e, ok := mountOptions[rp]
			if !ok || e.propagation == nil {
				return nil, invalid("linux.rootfsPropagation", "unknown propagation %q", rp)
			}
			pc := *e.propagation
			p.RootPropagation = &pc
		}
	}
	return p, nil
}

// containerPath checks that p is an absolute path and cleans it. A path
// that climbs ("/../x") stays inside the container: it is cleaned to "/x".
func containerPath(field, p string) (string, error) {
	if p == "" {
		return "", invalid(field, "missing")
	}
	if !path.IsAbs(p) {
		return "", invalid(field, "%q must be absolute", p)
	}
	return path.Clean(p), nil
}

// isProtected reports whether dst is /proc, /sys, /dev or under them.
func isProtected(dst string) bool {
	for _, top := range []string{"/proc", "/sys", "/dev"} {
		if dst == top || strings.HasPrefix(dst, top+"/") {
			return true
		}
	}
	return false
}

func planMount(i int, m specs.Mount, bundle string, opts Options, cgroupNS bool) (Mount, error) {
	field := fmt.Sprintf("mounts[%d]", i)
	dst, err := containerPath(field+".destination", m.Destination)
	if err != nil {
		return Mount{}, err
	}
	if dst == "/" {
		return Mount{}, invalid(field+".destination", "cannot mount over the container's root")
	}
	po := parseOptions(m.Options)
	pm := Mount{
		Index:          i,
		Destination:    dst,
		Type:           m.Type,
		Source:         m.Source,
		Attrs:          po.attrs,
		RecursiveAttrs: po.recursive,
		Propagation:    po.propagations,
		Protected:      isProtected(dst),
	}
	if m.Type == "bind" || po.bind {
		if len(po.unknown) > 0 {
			return Mount{}, invalid(field+".options", "unknown option %q", po.unknown[0])
		}
		if m.Source == "" {
			return Mount{}, invalid(field+".source", "a bind mount needs a source")
		}
		pm.Kind, pm.Type, pm.Recursive = KindBind, "", po.rbind
		pm.Source = m.Source
		if !filepath.IsAbs(pm.Source) {
			pm.Source = filepath.Join(bundle, pm.Source)
		}
		pm.Source = filepath.Clean(pm.Source)
		return pm, nil
	}
	if m.Type == "" {
		return Mount{}, invalid(field+".type", "missing (and no bind option)")
	}
	pm.Kind, pm.Data = KindFilesystem, po.data
	switch m.Type {
	case "sysfs":
		if opts.UserNS && !opts.NetNS {
			// A user namespace that does not own the network namespace
			// may not mount sysfs: show the host's, recursively, read-only
			// if asked.
			pm.Kind, pm.Type, pm.Source, pm.Recursive, pm.Data = KindBind, "", "/sys", true, nil
		}
	case "cgroup", "cgroup2":
		return planCgroup(field, pm, opts, cgroupNS)
	}
	return pm, nil
}

// planCgroup plans a "cgroup" mount. Without a cgroup namespace the
// container's own cgroup directories are bound, so it sees no other
// cgroup; with one, cgroupfs is mounted and the namespace limits the view.
func planCgroup(field string, pm Mount, opts Options, cgroupNS bool) (Mount, error) {
	v2Path, v2 := opts.CgroupPaths[""]
	if len(opts.CgroupPaths) == 0 {
		v2 = true
	}
	if v2 || pm.Type == "cgroup2" {
		if cgroupNS {
			pm.Type, pm.Source = "cgroup2", "cgroup"
			return pm, nil
		}
		if v2Path == "" {
			return Mount{}, invalid(field, "no cgroup path for a cgroup mount without a cgroup namespace")
		}
		pm.Kind, pm.Type, pm.Source, pm.Recursive, pm.Data = KindBind, "", v2Path, false, nil
		return pm, nil
	}
	pm.Kind, pm.Type, pm.Data = KindCgroupV1, "tmpfs", []string{"mode=755"}
	keys := make([]string, 0, len(opts.CgroupPaths))
	for k := range opts.CgroupPaths {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ctrls := strings.Split(k, ",")
		dir := strings.TrimPrefix(k, "name=")
		if strings.ContainsAny(dir, "/") || dir == "." || dir == ".." {
			return Mount{}, invalid("cgroup hierarchy", "bad name %q", k)
		}
		h := CgroupHierarchy{Dir: dir, Controllers: ctrls}
		if !cgroupNS {
			h.HostPath = opts.CgroupPaths[k]
		}
		if len(ctrls) > 1 {
			h.Links = ctrls
		}
		pm.Cgroups = append(pm.Cgroups, h)
	}
	return pm, nil
}

func (p *Plan) planDevices(spec *specs.Spec) error {
	byPath := map[string]bool{}
	var devs []Device
	if spec.Linux != nil {
		for i, d := range spec.Linux.Devices {
			pd, err := planDevice(fmt.Sprintf("linux.devices[%d]", i), d)
			if err != nil {
				return err
			}
			byPath[pd.Path] = true
			devs = append(devs, pd)
		}
	}
	for _, d := range defaultDevices {
		if !byPath[d.Path] {
			p.Devices = append(p.Devices, d)
		}
	}
	p.Devices = append(p.Devices, devs...)
	p.Symlinks = append(p.Symlinks, devSymlinks...)
	return nil
}

func planDevice(field string, d specs.LinuxDevice) (Device, error) {
	dp, err := containerPath(field+".path", d.Path)
	if err != nil {
		return Device{}, err
	}
	if dp == "/" {
		return Device{}, invalid(field+".path", "cannot be the container's root")
	}
	pd := Device{Path: dp, Major: d.Major, Minor: d.Minor, Mode: 0o666}
	switch d.Type {
	case "c", "u":
		pd.Type = DeviceChar
	case "b":
		pd.Type = DeviceBlock
	case "p":
		pd.Type, pd.Major, pd.Minor = DeviceFifo, 0, 0
	default:
		return Device{}, invalid(field+".type", "unknown device type %q (want c, b, u or p)", d.Type)
	}
	if pd.Major < 0 || pd.Minor < 0 || pd.Major > 0xfff || pd.Minor > 0xfffff {
		return Device{}, invalid(field, "device number %d:%d out of range", d.Major, d.Minor)
	}
	if d.FileMode != nil {
		// Only the permission bits count; the type comes from .type.
		pd.Mode = *d.FileMode & os.ModePerm
	}
	if d.UID != nil {
		pd.UID = *d.UID
	}
	if d.GID != nil {
		pd.GID = *d.GID
	}
	return pd, nil
}
