// Package devices owns the device access rules of a container's cgroup:
// it checks and normalises the OCI linux.resources.devices list, renders it
// as cgroup v1 devices.allow/devices.deny lines, and compiles it into a
// cgroup v2 eBPF program (BPF_PROG_TYPE_CGROUP_DEVICE) that it attaches to
// and detaches from a cgroup directory. It does not decide which rules a
// container gets; the caller passes the config's list as is.
//
// Semantics. Rules apply in order and, per access bit (m, r, w), the last
// rule that matches a device decides. A device no rule matches is allowed,
// as in a fresh v1 cgroup and a v2 cgroup without a program; a config that
// wants an allowlist starts with a deny-all rule ({"allow": false,
// "access": "rwm"}), as runtimes generate. On v1 the kernel applies the
// lines itself, and its semantics differ in one corner: once the list is in
// deny-all mode, a deny rule only removes an identical allow rule, it does
// not punch a hole in a wildcard one (allow "c *:* rwm" then deny
// "c 1:3 rwm" still allows 1:3 on v1, but not on v2).
package devices

import (
	"fmt"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/errdefs"
)

// Wildcard is the Major or Minor of a rule that matches every number.
const Wildcard = -1

// Access bits, as the kernel's bpf_cgroup_dev_ctx encodes them.
const (
	Mknod uint32 = 1
	Read  uint32 = 2
	Write uint32 = 4
	all          = Mknod | Read | Write
)

// Rule is one checked device rule.
type Rule struct {
	Allow bool
	// Type is 'a' (all), 'b' (block) or 'c' (char).
	Type  byte
	Major int64 // Wildcard for any
	Minor int64 // Wildcard for any
	// Access is a non-empty set of Mknod|Read|Write.
	Access uint32
}

// FromSpec checks and normalises OCI rules: an empty type means 'a', an
// empty access means "rwm", a missing major or minor means any.
func FromSpec(in []specs.LinuxDeviceCgroup) ([]Rule, error) {
	out := make([]Rule, 0, len(in))
	for i, d := range in {
		field := fmt.Sprintf("linux.resources.devices[%d]", i)
		r := Rule{Allow: d.Allow, Major: Wildcard, Minor: Wildcard}
		switch d.Type {
		case "", "a":
			r.Type = 'a'
		case "b", "c":
			r.Type = d.Type[0]
		default:
			return nil, fmt.Errorf("%s.type: %q is not a, b or c: %w", field, d.Type, errdefs.ErrInvalidArgument)
		}
		for _, n := range []struct {
			name string
			p    *int64
			dst  *int64
		}{{"major", d.Major, &r.Major}, {"minor", d.Minor, &r.Minor}} {
			if n.p == nil {
				continue
			}
			if *n.p < Wildcard || *n.p > 1<<31-1 {
				return nil, fmt.Errorf("%s.%s: %d is out of range: %w", field, n.name, *n.p, errdefs.ErrInvalidArgument)
			}
			*n.dst = *n.p
		}
		access := d.Access
		if access == "" {
			access = "rwm"
		}
		for _, c := range access {
			switch c {
			case 'r':
				r.Access |= Read
			case 'w':
				r.Access |= Write
			case 'm':
				r.Access |= Mknod
			default:
				return nil, fmt.Errorf("%s.access: %q has %q, not one of r, w, m: %w", field, d.Access, c, errdefs.ErrInvalidArgument)
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// isAll reports whether r covers every device with every access.
func (r Rule) isAll() bool {
	return r.Type == 'a' && r.Major == Wildcard && r.Minor == Wildcard && r.Access == all
}

// V1Line is one write to a v1 devices cgroup.
type V1Line struct {
	File  string // "devices.allow" or "devices.deny"
	Value string // "a", or "c 1:3 rwm"
}

// V1Lines renders rules as the writes a cgroup v1 devices controller
// understands, in order. A rule for every device and access becomes "a"
// (which resets the list); other rules of type 'a' become a 'c' and a 'b'
// line, because v1 only knows 'a' as the reset.
func V1Lines(rules []Rule) []V1Line {
	var out []V1Line
	for _, r := range rules {
		file := "devices.deny"
		if r.Allow {
			file = "devices.allow"
		}
		if r.isAll() {
			out = append(out, V1Line{File: file, Value: "a"})
			continue
		}
		types := []byte{r.Type}
		if r.Type == 'a' {
			types = []byte{'c', 'b'}
		}
		for _, t := range types {
			out = append(out, V1Line{File: file, Value: fmt.Sprintf("%c %s:%s %s", t, number(r.Major), number(r.Minor), accessString(r.Access))})
		}
	}
	return out
}

func number(n int64) string {
	if n == Wildcard {
		return "*"
	}
	return fmt.Sprint(n)
}

func accessString(a uint32) string {
	var b strings.Builder
	if a&Read != 0 {
		b.WriteByte('r')
	}
	if a&Write != 0 {
		b.WriteByte('w')
	}
	if a&Mknod != 0 {
		b.WriteByte('m')
	}
	return b.String()
}
