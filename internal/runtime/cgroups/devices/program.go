package devices

import "fmt"

// Device types in the low 16 bits of bpf_cgroup_dev_ctx.access_type.
const (
	bpfDevBlock = 1
	bpfDevChar  = 2
)

// Program compiles rules into the instructions of a
// BPF_PROG_TYPE_CGROUP_DEVICE program. The program returns 1 (allow) or 0
// (deny) for a request of bpf_cgroup_dev_ctx {access_type, major, minor}.
//
// For each access bit the request carries, it walks the rules holding that
// bit from the last to the first; the first that matches the device type,
// major and minor decides: an allow rule lets the bit pass, a deny rule
// denies the request. A bit no rule matches is allowed (see the package
// comment). So the program is the per-bit "last matching rule wins".
func Program(rules []Rule) ([]byte, error) {
	const (
		ctx    = r1
		access = r2
		typ    = r3
		major  = r4
		minor  = r5
		tmp    = r6
	)
	insns := []insn{
		loadWord(access, ctx, 0),
		movReg(typ, access),
		andImm(typ, 0xffff),
		rshImm(access, 16),
		loadWord(major, ctx, 4),
		loadWord(minor, ctx, 8),
	}
	label := 0
	next := func() string { label++; return fmt.Sprintf("l%d", label) }
	for _, bit := range []uint32{Mknod, Read, Write} {
		bitDone := next()
		insns = append(insns,
			movReg(tmp, access),
			andImm(tmp, int32(bit)),
			jeqImm(tmp, 0, bitDone),
		)
		for i := len(rules) - 1; i >= 0; i-- {
			r := rules[i]
			if r.Access&bit == 0 {
				continue
			}
			skip := next() // used only by rules with a condition
			switch r.Type {
			case 'b':
				insns = append(insns, jneImm(typ, bpfDevBlock, skip))
			case 'c':
				insns = append(insns, jneImm(typ, bpfDevChar, skip))
			}
			if r.Major != Wildcard {
				insns = append(insns, jneImm(major, int32(r.Major), skip))
			}
			if r.Minor != Wildcard {
				insns = append(insns, jneImm(minor, int32(r.Minor), skip))
			}
			if r.Allow {
				insns = append(insns, ja(bitDone))
			} else {
				insns = append(insns, movImm(r0, 0), exit())
			}
			if r.Type == 'a' && r.Major == Wildcard && r.Minor == Wildcard {
				// This rule matches every device: earlier rules cannot
				// decide this bit, and the verifier refuses dead code.
				break
			}
			// The next rule (or the end of this bit) starts here.
			insns = append(insns, movImm(tmp, 0).withLabel(skip))
		}
		insns = append(insns, movImm(tmp, 0).withLabel(bitDone))
	}
	return assemble(append(insns, movImm(r0, 1), exit()))
}
