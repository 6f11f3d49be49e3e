package devices

import (
	"fmt"

	"github.com/cilium/ebpf/asm"
)

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
func Program(rules []Rule) asm.Instructions {
	const (
		ctx    = asm.R1
		access = asm.R2
		typ    = asm.R3
		major  = asm.R4
		minor  = asm.R5
		tmp    = asm.R6
	)
	insns := asm.Instructions{
		asm.LoadMem(access, ctx, 0, asm.Word),
		asm.Mov.Reg(typ, access),
		asm.And.Imm(typ, 0xffff),
		asm.RSh.Imm(access, 16),
		asm.LoadMem(major, ctx, 4, asm.Word),
		asm.LoadMem(minor, ctx, 8, asm.Word),
	}
	label := 0
	next := func() string { label++; return fmt.Sprintf("l%d", label) }
	for _, bit := range []uint32{Mknod, Read, Write} {
		bitDone := next()
		insns = append(insns,
			asm.Mov.Reg(tmp, access),
			asm.And.Imm(tmp, int32(bit)),
			asm.JEq.Imm(tmp, 0, bitDone),
		)
		for i := len(rules) - 1; i >= 0; i-- {
			r := rules[i]
			if r.Access&bit == 0 {
				continue
			}
			skip := next() // used only by rules with a condition
			switch r.Type {
			case 'b':
				insns = append(insns, asm.JNE.Imm(typ, bpfDevBlock, skip))
			case 'c':
				insns = append(insns, asm.JNE.Imm(typ, bpfDevChar, skip))
			}
			if r.Major != Wildcard {
				insns = append(insns, asm.JNE.Imm(major, int32(r.Major), skip))
			}
			if r.Minor != Wildcard {
				insns = append(insns, asm.JNE.Imm(minor, int32(r.Minor), skip))
			}
			if r.Allow {
				insns = append(insns, asm.Ja.Label(bitDone))
			} else {
				insns = append(insns, asm.Mov.Imm(asm.R0, 0), asm.Return())
			}
			if r.Type == 'a' && r.Major == Wildcard && r.Minor == Wildcard {
				// This rule matches every device: earlier rules cannot
				// decide this bit, and the verifier refuses dead code.
				break
			}
			// The next rule (or the end of this bit) starts here.
			insns = append(insns, asm.Mov.Imm(tmp, 0).WithSymbol(skip))
		}
		insns = append(insns, asm.Mov.Imm(tmp, 0).WithSymbol(bitDone))
	}
	return append(insns, asm.Mov.Imm(asm.R0, 1), asm.Return())
}
