package seccomp

import (
	"fmt"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
)

// What the package supports, for the runtime's features document. The
// lists are sorted. Archs and SupportedFlags ask the linked libseccomp (by
// compiling a one-line filter), so they name only what Compile accepts
// here; the kernel may still refuse a flag at Load.

// Actions returns the seccomp actions Compile accepts.
func Actions() []string { return sortedKeys(actions) }

// Operators returns the argument comparison operators Compile accepts.
func Operators() []string { return sortedKeys(operators) }

// KnownFlags returns the filter flags Compile knows.
func KnownFlags() []string { return sortedKeys(knownFlags) }

// Archs returns the architectures the linked libseccomp can filter.
func Archs() []string {
	var out []string
	for a := range arches {
		cfg := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{a}}
		if f, err := Compile(cfg); err == nil {
			f.ctx.Release()
			out = append(out, string(a))
		}
	}
	slices.Sort(out)
	return out
}

// SupportedFlags returns the known flags the linked libseccomp can set.
func SupportedFlags() []string {
	var out []string
	for fl := range knownFlags {
		cfg := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{fl}}
		if f, err := Compile(cfg); err == nil {
			f.ctx.Release()
			out = append(out, string(fl))
		}
	}
	slices.Sort(out)
	return out
}

// LibraryVersion returns the linked libseccomp's version, "2.5.4".
func LibraryVersion() string {
	major, minor, micro := libseccomp.GetLibraryVersion()
	return fmt.Sprintf("%d.%d.%d", major, minor, micro)
}

func sortedKeys[K ~string, V any](m map[K]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, string(k))
	}
	slices.Sort(out)
	return out
}
