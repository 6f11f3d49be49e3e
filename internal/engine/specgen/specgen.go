package specgen

import (
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/cais-project/cais/internal/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Options are what `cais run` asks for. Zero values mean Docker's defaults.
type Options struct {
	// ID is the container's ID (required). The default hostname is its
	// first 12 characters, and the cgroup is <CgroupParent>/<ID>.
	ID string
	// Name is the container's name; it does not appear in the spec.
	Name                 string
	Hostname, Domainname string

	// Cmd replaces the image's Cmd when non-empty. With EntrypointSet,
	// Entrypoint replaces the image's Entrypoint (empty clears it) and the
	// image's Cmd is dropped, as `--entrypoint` does.
	Cmd, Entrypoint []string
	EntrypointSet   bool

	// Env entries ("KEY=value") override the image's, last one wins.
	Env        []string
	WorkingDir string
	// User is "user[:group]", each a name or a number; names are resolved
	// from the rootfs' /etc/passwd and /etc/group.
	User string

	Tty, OpenStdin, ReadOnly, Privileged bool
	// Init runs InitPath (bind-mounted read-only at /sbin/docker-init) as
	// the container's pid 1 with the command after "--", as `--init`
	// does. InitPath is required with Init.
	Init     bool
	InitPath string

	// CapAdd and CapDrop take names with or without "CAP_", any case, or
	// "ALL".
	CapAdd, CapDrop []string
	// HostCaps, when not nil, are the capabilities the caller can grant
	// (its bounding set): privileged and "ALL" mean those, and naming
	// another is an error.
	HostCaps []string
	// SecurityOpt: "no-new-privileges[=true|false]", "seccomp=unconfined",
	// "seccomp=<file>" (OCI or Docker profile JSON), "apparmor=..." and
	// "label=..." (accepted and ignored: this host has no LSM support).
	SecurityOpt []string
	// Seccomp is the profile applied when SecurityOpt names none, which
	// the engine fills with its default profile; nil applies none.
	Seccomp *specs.LinuxSeccomp

	// Devices are "/dev/host[:/dev/container[:rwm]]"; the host node is
	// stat'ed for its type and numbers.
	Devices []string
	// Ulimits are "name=soft[:hard]", e.g. "nofile=1024:2048".
	Ulimits []string
	Sysctls map[string]string
	// ShmSize is /dev/shm's size in bytes; 0 means 64 MiB.
	ShmSize int64
	// Tmpfs maps a container path to tmpfs options ("size=64m,mode=1777").
	Tmpfs map[string]string

	// Memory and MemorySwap in bytes (MemorySwap -1: unlimited swap; 0
	// with Memory set: twice Memory, as Docker). NanoCPUs in 1e-9 CPUs.
	// PidsLimit > 0 limits, -1 is unlimited.
	Memory, MemorySwap, NanoCPUs, CPUShares, PidsLimit int64
	CpusetCpus                                         string
	BlkioWeight                                        uint16
	OOMScoreAdj                                        *int

	// Network is "" or "none" (a new network namespace), "host" (the
	// host's), or "ns:<path>" (join the namespace at path).
	Network string
	// Mounts are binds and volumes, already resolved by the caller. One
	// with the destination of a default mount replaces it.
	Mounts []specs.Mount
	// HostsPath, ResolvConfPath and HostnamePath are the per-container
	// files the engine writes, bound at /etc/hosts, /etc/resolv.conf and
	// /etc/hostname when set.
	HostsPath, ResolvConfPath, HostnamePath string

	StopSignal   string
	Labels       map[string]string
	CgroupParent string
}

// StopSignalAnnotation carries the container's stop signal.
const StopSignalAnnotation = "org.opencontainers.image.stopSignal"

// defaultPath is the PATH of a container whose image sets none.
const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Generate returns the spec of a container of the image whose config is img
// and whose root filesystem is the directory rootfs, as Docker would create
// it for o. It reads only the rootfs' /etc/passwd and /etc/group, the
// seccomp profile file named in o.SecurityOpt, and stats o.Devices. Errors
// in o are classified errdefs.ErrInvalidArgument.
func Generate(img ocispec.ImageConfig, rootfs string, o Options) (*specs.Spec, error) {
	if o.ID == "" {
		return nil, fmt.Errorf("container ID is required: %w", errdefs.ErrInvalidArgument)
	}
	root, err := os.OpenRoot(rootfs)
	if err != nil {
		return nil, fmt.Errorf("opening rootfs: %w", err)
	}
	defer root.Close()

	s := &specs.Spec{
		Version:     specs.Version,
		Root:        &specs.Root{Path: rootfs, Readonly: o.ReadOnly},
		Hostname:    o.Hostname,
		Domainname:  o.Domainname,
		Annotations: map[string]string{},
		Linux:       &specs.Linux{Sysctl: map[string]string{}},
	}
	if s.Hostname == "" {
		s.Hostname = o.ID[:min(12, len(o.ID))]
	}

	user, home, err := resolveUser(root, o.User)
	if err != nil {
		return nil, err
	}
	args, err := processArgs(img, o)
	if err != nil {
		return nil, err
	}
	caps, err := capabilities(o.Privileged, o.CapAdd, o.CapDrop, o.HostCaps)
	if err != nil {
		return nil, err
	}
	p := &specs.Process{
		Terminal:    o.Tty,
		User:        user,
		Args:        args,
		Env:         environment(img.Env, o, s.Hostname, home),
		Cwd:         workingDir(img, o),
		OOMScoreAdj: o.OOMScoreAdj,
		Capabilities: &specs.LinuxCapabilities{
			Bounding:  caps,
			Effective: caps,
			Permitted: caps,
		},
	}
	if user.UID != 0 {
		// As Docker: a non-root user keeps the bounding set only, so it
		// gains capabilities through file capabilities or setuid binaries,
		// never by merely running.
		p.Capabilities.Effective = []string{}
		p.Capabilities.Permitted = []string{}
	}
	if p.Rlimits, err = rlimits(o.Ulimits); err != nil {
		return nil, err
	}
	s.Process = p
	if err := applySecurityOpts(s, o); err != nil {
		return nil, err
	}

	if s.Linux.Namespaces, err = namespaces(o.Network); err != nil {
		return nil, err
	}
	if err := sysctls(s.Linux.Sysctl, o.Sysctls, o.Network); err != nil {
		return nil, err
	}
	if o.Domainname != "" { // as Docker: runc before 1.2 ignores spec.Domainname
		s.Linux.Sysctl["kernel.domainname"] = o.Domainname
	}
	if len(s.Linux.Sysctl) == 0 {
		s.Linux.Sysctl = nil
	}
	if !o.Privileged {
		s.Linux.MaskedPaths = slices.Clone(maskedPaths)
		s.Linux.ReadonlyPaths = slices.Clone(readonlyPaths)
	}
	if s.Mounts, err = mounts(o); err != nil {
		return nil, err
	}
	if o.Init {
		if o.InitPath == "" {
			return nil, fmt.Errorf("init requested but no init binary is configured: %w", errdefs.ErrInvalidArgument)
		}
		s.Mounts = append(s.Mounts, specs.Mount{Destination: initDest, Type: "bind", Source: o.InitPath, Options: []string{"bind", "ro"}})
	}

	res, devs, err := resources(o)
	if err != nil {
		return nil, err
	}
	s.Linux.Resources = res
	s.Linux.Devices = devs
	parent := o.CgroupParent
	if parent == "" {
		parent = "/cais"
	}
	s.Linux.CgroupsPath = path.Join(parent, o.ID)

	for k, v := range img.Labels {
		s.Annotations[k] = v
	}
	for k, v := range o.Labels {
		s.Annotations[k] = v
	}
	if sig := stopSignal(img, o); sig != "" {
		s.Annotations[StopSignalAnnotation] = sig
	}
	if len(s.Annotations) == 0 {
		s.Annotations = nil
	}
	return s, nil
}

// initDest is where the init binary is bound, as Docker does.
const initDest = "/sbin/docker-init"

// processArgs applies Docker's entrypoint and command rules.
func processArgs(img ocispec.ImageConfig, o Options) ([]string, error) {
	entry, cmd := img.Entrypoint, img.Cmd
	if o.EntrypointSet {
		entry, cmd = o.Entrypoint, nil
	}
	if len(o.Cmd) > 0 {
		cmd = o.Cmd
	}
	args := append(append([]string(nil), entry...), cmd...)
	if len(args) == 0 {
		return nil, fmt.Errorf("no command specified: %w", errdefs.ErrInvalidArgument)
	}
	if o.Init {
		args = append([]string{initDest, "--"}, args...)
	}
	return args, nil
}

// environment builds the process's environment as Docker does: PATH,
// HOSTNAME and (with a tty) TERM first, then the image's variables and the
// user's, each replacing an earlier one of the same name in place; HOME
// from passwd last unless set.
func environment(imageEnv []string, o Options, hostname, home string) []string {
	env := []string{defaultPath, "HOSTNAME=" + hostname}
	if o.Tty {
		env = append(env, "TERM=xterm")
	}
	env = mergeEnv(env, imageEnv)
	env = mergeEnv(env, o.Env)
	hasHome := false
	for _, e := range env {
		if strings.HasPrefix(e, "HOME=") {
			hasHome = true
		}
	}
	if !hasHome {
		env = append(env, "HOME="+home)
	}
	return env
}

func mergeEnv(env, over []string) []string {
	index := map[string]int{}
	for i, e := range env {
		k, _, _ := strings.Cut(e, "=")
		index[k] = i
	}
	for _, e := range over {
		k, _, _ := strings.Cut(e, "=")
		if i, ok := index[k]; ok {
			env[i] = e
			continue
		}
		index[k] = len(env)
		env = append(env, e)
	}
	return env
}

func workingDir(img ocispec.ImageConfig, o Options) string {
	switch {
	case o.WorkingDir != "":
		return path.Clean(o.WorkingDir)
	case img.WorkingDir != "":
		return path.Clean(img.WorkingDir)
	}
	return "/"
}

func stopSignal(img ocispec.ImageConfig, o Options) string {
	if o.StopSignal != "" {
		return o.StopSignal
	}
	return img.StopSignal
}

// namespaces returns Docker's namespaces for the network mode.
func namespaces(network string) ([]specs.LinuxNamespace, error) {
	nss := []specs.LinuxNamespace{
		{Type: specs.PIDNamespace},
		{Type: specs.IPCNamespace},
		{Type: specs.UTSNamespace},
		{Type: specs.MountNamespace},
		{Type: specs.CgroupNamespace},
	}
	switch {
	case network == "" || network == "none":
		nss = append(nss, specs.LinuxNamespace{Type: specs.NetworkNamespace})
	case network == "host":
	case strings.HasPrefix(network, "ns:") && path.IsAbs(strings.TrimPrefix(network, "ns:")):
		nss = append(nss, specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: strings.TrimPrefix(network, "ns:")})
	default:
		return nil, fmt.Errorf("network mode %q: want none, host or ns:<absolute path>: %w", network, errdefs.ErrInvalidArgument)
	}
	return nss, nil
}

// sysctls copies the requested sysctls after checking, as Docker does,
// that each is namespaced: IPC ones always, net.* only in a network
// namespace of the container's own.
func sysctls(dst, req map[string]string, network string) error {
	ipc := []string{"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"}
	for k, v := range req {
		switch {
		case slices.Contains(ipc, k) || strings.HasPrefix(k, "fs.mqueue."):
		case strings.HasPrefix(k, "net."):
			if network == "host" {
				return fmt.Errorf("invalid --sysctl %q: not allowed in host network mode: %w", k, errdefs.ErrInvalidArgument)
			}
		default:
			return fmt.Errorf("invalid --sysctl %q: not allowed: it is not namespaced: %w", k, errdefs.ErrInvalidArgument)
		}
		dst[k] = v
	}
	return nil
}

// applySecurityOpts sets noNewPrivileges and the seccomp profile.
func applySecurityOpts(s *specs.Spec, o Options) error {
	profile := o.Seccomp
	for _, opt := range o.SecurityOpt {
		k, v, hasValue := strings.Cut(opt, "=")
		if !hasValue {
			k, v, hasValue = strings.Cut(opt, ":") // Docker's legacy separator
		}
		switch k {
		case "no-new-privileges":
			switch {
			case !hasValue || v == "true":
				s.Process.NoNewPrivileges = true
			case v == "false":
				s.Process.NoNewPrivileges = false
			default:
				return fmt.Errorf("invalid --security-opt %q: no-new-privileges takes true or false: %w", opt, errdefs.ErrInvalidArgument)
			}
		case "seccomp":
			switch {
			case !hasValue || v == "":
				return fmt.Errorf("invalid --security-opt %q: seccomp needs unconfined or a profile file: %w", opt, errdefs.ErrInvalidArgument)
			case v == "unconfined":
				profile = nil
			default:
				p, err := loadSeccomp(v, s.Process.Capabilities.Bounding)
				if err != nil {
					return err
				}
				profile = p
			}
		case "apparmor", "label":
			if !hasValue {
				return fmt.Errorf("invalid --security-opt %q: %w", opt, errdefs.ErrInvalidArgument)
			}
		default:
			return fmt.Errorf("invalid --security-opt %q: %w", opt, errdefs.ErrInvalidArgument)
		}
	}
	if o.Privileged {
		profile = nil
	}
	s.Linux.Seccomp = profile
	return nil
}

// Validate checks what of o can be checked without the image and rootfs
// (capabilities, ulimits, sysctls, devices, resources, network mode), so a
// caller can refuse bad input before it makes anything. Generate checks
// the same again.
func Validate(o Options) error {
	if _, err := capabilities(o.Privileged, o.CapAdd, o.CapDrop, o.HostCaps); err != nil {
		return err
	}
	if _, err := rlimits(o.Ulimits); err != nil {
		return err
	}
	if _, err := namespaces(o.Network); err != nil {
		return err
	}
	if err := sysctls(map[string]string{}, o.Sysctls, o.Network); err != nil {
		return err
	}
	_, _, err := resources(o)
	return err
}
