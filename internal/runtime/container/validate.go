package container

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/runtime/process"
)

func invalid(format string, a ...any) error {
	return fmt.Errorf(format+": %w", append(a, errdefs.ErrInvalidArgument)...)
}

// loadSpec reads and decodes bundle/config.json, refusing unknown types of
// values (a string where a number belongs) with the decoder's message.
// Config is a bundle's config.json: decoded, and the bytes it came from
// (kept in state.json as they are, see State.Spec).
type Config struct {
	Spec *specs.Spec
	JSON []byte
}

// LoadSpec reads and decodes the bundle's config.json; a missing or
// malformed file is an errdefs.ErrInvalidArgument naming it.
func LoadSpec(bundle string) (*Config, error) {
	path := filepath.Join(bundle, "config.json")
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, invalid("bundle %s: config.json not found", bundle)
		}
		return nil, err
	}
	// Like a json.Decoder (as runc reads it), what follows the first
	// value is ignored.
	var s linuxSpec
	d := json.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(&s); err != nil {
		return nil, invalid("%s: %v", path, err)
	}
	return &Config{Spec: &s.Spec, JSON: b[:d.InputOffset()]}, nil
}

// linuxSpec decodes config.json leaving other platforms' sections as raw
// JSON, which nothing here reads: a fresh process's encoding/json analyses
// every struct type reachable from the one it decodes, and those sections
// are about a quarter of specs.Spec's types.
type linuxSpec struct {
	specs.Spec
	Solaris json.RawMessage `json:"solaris,omitempty"`
	Windows json.RawMessage `json:"windows,omitempty"`
	VM      json.RawMessage `json:"vm,omitempty"`
	ZOS     json.RawMessage `json:"zos,omitempty"`
	FreeBSD json.RawMessage `json:"freebsd,omitempty"`
}

var namespaceFlags = map[specs.LinuxNamespaceType]bool{
	specs.PIDNamespace: true, specs.NetworkNamespace: true, specs.MountNamespace: true,
	specs.IPCNamespace: true, specs.UTSNamespace: true, specs.UserNamespace: true,
	specs.CgroupNamespace: true, specs.TimeNamespace: true,
}

// validateSpec checks what the kernel would otherwise refuse half-way
// through creating the container, naming the field at fault.
func validateSpec(s *specs.Spec, bundle string) error {
	if s.Version == "" {
		return invalid("ociVersion: missing")
	}
	if !strings.HasPrefix(s.Version, "1.") {
		return invalid("ociVersion %q: only 1.x is supported", s.Version)
	}
	if s.Root == nil || s.Root.Path == "" {
		return invalid("root.path: missing")
	}
	rootfs := s.Root.Path
	if !filepath.IsAbs(rootfs) {
		rootfs = filepath.Join(bundle, rootfs)
	}
	if fi, err := os.Stat(rootfs); err != nil {
		return invalid("root.path %s: %v", rootfs, errors.Unwrap(err))
	} else if !fi.IsDir() {
		return invalid("root.path %s: not a directory", rootfs)
	}
	if s.Process == nil {
		return invalid("process: missing")
	}
	if len(s.Process.Args) == 0 {
		return invalid("process.args: empty")
	}
	if s.Process.Cwd == "" || !filepath.IsAbs(s.Process.Cwd) {
		return invalid("process.cwd %q: must be an absolute path", s.Process.Cwd)
	}
	if s.Linux == nil {
		return invalid("linux: missing")
	}
	return validateLinux(s)
}

func validateLinux(s *specs.Spec) error {
	seen := map[specs.LinuxNamespaceType]bool{}
	for i, ns := range s.Linux.Namespaces {
		if !namespaceFlags[ns.Type] {
			return invalid("linux.namespaces[%d].type %q: unknown namespace type", i, ns.Type)
		}
		if seen[ns.Type] {
			return invalid("linux.namespaces[%d]: %s namespace listed twice", i, ns.Type)
		}
		seen[ns.Type] = true
		if ns.Path != "" && !filepath.IsAbs(ns.Path) {
			return invalid("linux.namespaces[%d].path %q: must be absolute", i, ns.Path)
		}
	}
	hasUser := seen[specs.UserNamespace]
	if len(s.Linux.UIDMappings)+len(s.Linux.GIDMappings) > 0 && !hasUser {
		return invalid("linux.uidMappings: given without a user namespace")
	}
	if hasUser && newNamespace(s, specs.UserNamespace) {
		if len(s.Linux.UIDMappings) == 0 || len(s.Linux.GIDMappings) == 0 {
			return invalid("linux.uidMappings/gidMappings: a new user namespace needs both")
		}
	}
	for name, m := range map[string][]specs.LinuxIDMapping{"uidMappings": s.Linux.UIDMappings, "gidMappings": s.Linux.GIDMappings} {
		for i, e := range m {
			if e.Size == 0 || uint64(e.ContainerID)+uint64(e.Size) > 1<<32 || uint64(e.HostID)+uint64(e.Size) > 1<<32 {
				return invalid("linux.%s[%d]: impossible mapping %d:%d:%d", name, i, e.ContainerID, e.HostID, e.Size)
			}
		}
	}
	if s.Hostname != "" && !newNamespace(s, specs.UTSNamespace) {
		return invalid("hostname: needs a new uts namespace")
	}
	if s.Domainname != "" && !newNamespace(s, specs.UTSNamespace) {
		return invalid("domainname: needs a new uts namespace")
	}
	if len(s.Linux.TimeOffsets) > 0 && !newNamespace(s, specs.TimeNamespace) {
		return invalid("linux.timeOffsets: needs a new time namespace")
	}
	for key := range s.Linux.Sysctl {
		if err := validateSysctl(s, key); err != nil {
			return err
		}
	}
	if err := process.CheckRlimits(s.Process.Rlimits); err != nil {
		return err
	}
	if err := process.CheckScheduler(s.Process.Scheduler); err != nil {
		return invalid("%v", err)
	}
	if err := process.CheckLabels(s.Process.ApparmorProfile, s.Process.SelinuxLabel); err != nil {
		return invalid("%v", err)
	}
	if p := s.Process; p.Cwd != "" && strings.HasPrefix(filepath.Clean(p.Cwd), "/proc/self/fd") {
		return invalid("process.cwd %q: refused (a file descriptor of the runtime)", p.Cwd)
	}
	return nil
}

// newNamespace reports whether the config asks for a new namespace of type t.
func newNamespace(s *specs.Spec, t specs.LinuxNamespaceType) bool {
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == t {
			return ns.Path == ""
		}
	}
	return false
}

func hasNamespace(s *specs.Spec, t specs.LinuxNamespaceType) bool {
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == t {
			return true
		}
	}
	return false
}

// validateSysctl refuses keys that would change the host's settings because
// the container does not have the namespace they belong to.
func validateSysctl(s *specs.Spec, key string) error {
	if strings.Contains(key, "..") || strings.HasPrefix(key, "/") {
		return invalid("linux.sysctl %q: bad key", key)
	}
	k := strings.ReplaceAll(key, "/", ".")
	switch {
	case k == "kernel.hostname" || k == "kernel.domainname":
		if !hasNamespace(s, specs.UTSNamespace) {
			return invalid("linux.sysctl %q: needs a uts namespace", key)
		}
	case strings.HasPrefix(k, "kernel.msg") || strings.HasPrefix(k, "kernel.sem") || strings.HasPrefix(k, "kernel.shm") || strings.HasPrefix(k, "fs.mqueue."):
		if !hasNamespace(s, specs.IPCNamespace) {
			return invalid("linux.sysctl %q: needs an ipc namespace", key)
		}
	case strings.HasPrefix(k, "net."):
		if !hasNamespace(s, specs.NetworkNamespace) {
			return invalid("linux.sysctl %q: needs a network namespace", key)
		}
	default:
		return invalid("linux.sysctl %q: not namespaced, would change the host", key)
	}
	return nil
}
