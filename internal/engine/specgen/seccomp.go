package specgen

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"slices"

	"github.com/cais-project/cais/internal/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// profile is a seccomp profile file in either shape: the OCI one, or
// Docker's, which adds archMap (per native architecture, its
// sub-architectures) and per-rule includes/excludes by capability and
// architecture. Docker's legacy singular "name" is accepted too.
type profile struct {
	DefaultAction    specs.LinuxSeccompAction `json:"defaultAction"`
	DefaultErrnoRet  *uint                    `json:"defaultErrnoRet,omitempty"`
	Architectures    []specs.Arch             `json:"architectures,omitempty"`
	ArchMap          []archMap                `json:"archMap,omitempty"`
	Flags            []specs.LinuxSeccompFlag `json:"flags,omitempty"`
	ListenerPath     string                   `json:"listenerPath,omitempty"`
	ListenerMetadata string                   `json:"listenerMetadata,omitempty"`
	Syscalls         []syscallRule            `json:"syscalls,omitempty"`
}

type archMap struct {
	Arch      specs.Arch   `json:"architecture"`
	SubArches []specs.Arch `json:"subArchitectures"`
}

type syscallRule struct {
	Name     string                   `json:"name,omitempty"`
	Names    []string                 `json:"names,omitempty"`
	Action   specs.LinuxSeccompAction `json:"action"`
	ErrnoRet *uint                    `json:"errnoRet,omitempty"`
	Args     []specs.LinuxSeccompArg  `json:"args,omitempty"`
	Includes filter                   `json:"includes"`
	Excludes filter                   `json:"excludes"`
}

type filter struct {
	Caps   []string     `json:"caps,omitempty"`
	Arches []specs.Arch `json:"arches,omitempty"`
	// MinKernel is accepted and not checked: the spec is generated
	// without asking the kernel its version.
	MinKernel string `json:"minKernel,omitempty"`
}

// nativeArch maps GOARCH to libseccomp's architecture name ("" when it
// has none here).
func nativeArch(goarch string) specs.Arch {
	switch goarch {
	case "amd64":
		return specs.ArchX86_64
	case "386":
		return specs.ArchX86
	case "arm64":
		return specs.ArchAARCH64
	case "arm":
		return specs.ArchARM
	case "ppc64le":
		return specs.ArchPPC64LE
	case "s390x":
		return specs.ArchS390X
	case "riscv64":
		return specs.ArchRISCV64
	case "mips64le":
		return specs.ArchMIPSEL64
	case "loong64":
		return specs.ArchLOONGARCH64
	}
	return ""
}

// loadSeccomp reads the profile at file and converts it to the OCI form
// for this machine's architecture and the container's bounding set.
func loadSeccomp(file string, caps []string) (*specs.LinuxSeccomp, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading seccomp profile: %w", err)
	}
	var p profile
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("decoding seccomp profile %s: %v: %w", file, err, errdefs.ErrInvalidArgument)
	}
	return convertProfile(p, runtime.GOARCH, caps)
}

// convertProfile converts p for the Go architecture goarch and the
// bounding set caps.
func convertProfile(p profile, goarch string, caps []string) (*specs.LinuxSeccomp, error) {
	native := nativeArch(goarch)
	if p.DefaultAction == "" {
		return nil, fmt.Errorf("seccomp profile has no defaultAction: %w", errdefs.ErrInvalidArgument)
	}
	out := &specs.LinuxSeccomp{
		DefaultAction:    p.DefaultAction,
		DefaultErrnoRet:  p.DefaultErrnoRet,
		Flags:            p.Flags,
		ListenerPath:     p.ListenerPath,
		ListenerMetadata: p.ListenerMetadata,
	}
	if len(p.ArchMap) > 0 && len(p.Architectures) > 0 {
		return nil, fmt.Errorf("seccomp profile has both architectures and archMap: %w", errdefs.ErrInvalidArgument)
	}
	out.Architectures = p.Architectures
	for _, a := range p.ArchMap {
		if a.Arch == native {
			out.Architectures = append(append(out.Architectures, a.Arch), a.SubArches...)
		}
	}
	for _, r := range p.Syscalls {
		if r.Name != "" && len(r.Names) > 0 {
			return nil, fmt.Errorf("seccomp rule has both name and names: %w", errdefs.ErrInvalidArgument)
		}
		if !ruleApplies(r, goarch, native, caps) {
			continue
		}
		names := r.Names
		if r.Name != "" {
			names = []string{r.Name}
		}
		out.Syscalls = append(out.Syscalls, specs.LinuxSyscall{Names: names, Action: r.Action, ErrnoRet: r.ErrnoRet, Args: r.Args})
	}
	return out, nil
}

// ruleApplies reports whether a Docker rule is for this container: the
// architecture among the included ones if any and not among the excluded
// ones (named as Go does, "amd64", or as libseccomp does), every included
// capability in the bounding set and no excluded one.
func ruleApplies(r syscallRule, goarch string, native specs.Arch, caps []string) bool {
	isNative := func(a specs.Arch) bool { return string(a) == goarch || a == native }
	if len(r.Includes.Arches) > 0 && !slices.ContainsFunc(r.Includes.Arches, isNative) {
		return false
	}
	if slices.ContainsFunc(r.Excludes.Arches, isNative) {
		return false
	}
	for _, c := range r.Includes.Caps {
		if !slices.Contains(caps, c) {
			return false
		}
	}
	for _, c := range r.Excludes.Caps {
		if slices.Contains(caps, c) {
			return false
		}
	}
	return true
}
