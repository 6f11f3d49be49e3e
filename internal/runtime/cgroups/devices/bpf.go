package devices

import "fmt"

// insn is one eBPF instruction (struct bpf_insn): the cgroup device
// programs here need only a handful of opcodes, so they are encoded by hand
// instead of linking a general eBPF library, whose package initialisation
// every container start would pay for (the init process runs them all).
type insn struct {
	code uint8
	regs uint8 // dst in the low nibble, src in the high nibble
	off  int16
	imm  int32
	// target names the label a jump goes to; resolved by assemble.
	target string
	// label names this instruction as a jump target.
	label string
}

// Registers and opcodes (linux/bpf.h, linux/bpf_common.h).
const (
	r0 = 0
	r1 = 1
	r2 = 2
	r3 = 3
	r4 = 4
	r5 = 5
	r6 = 6

	opLoadWord = 0x61 // BPF_LDX | BPF_MEM | BPF_W
	opMovReg   = 0xbf // BPF_ALU64 | BPF_MOV | BPF_X
	opMovImm   = 0xb7 // BPF_ALU64 | BPF_MOV | BPF_K
	opAndImm   = 0x57 // BPF_ALU64 | BPF_AND | BPF_K
	opRshImm   = 0x77 // BPF_ALU64 | BPF_RSH | BPF_K
	opJeqImm   = 0x15 // BPF_JMP | BPF_JEQ | BPF_K
	opJneImm   = 0x55 // BPF_JMP | BPF_JNE | BPF_K
	opJa       = 0x05 // BPF_JMP | BPF_JA
	opExit     = 0x95 // BPF_JMP | BPF_EXIT
)

func loadWord(dst, src uint8, off int16) insn {
	return insn{code: opLoadWord, regs: dst | src<<4, off: off}
}
func movReg(dst, src uint8) insn       { return insn{code: opMovReg, regs: dst | src<<4} }
func movImm(dst uint8, v int32) insn   { return insn{code: opMovImm, regs: dst, imm: v} }
func andImm(dst uint8, v int32) insn   { return insn{code: opAndImm, regs: dst, imm: v} }
func rshImm(dst uint8, v int32) insn   { return insn{code: opRshImm, regs: dst, imm: v} }
func exit() insn                       { return insn{code: opExit} }
func ja(target string) insn            { return insn{code: opJa, target: target} }
func (i insn) withLabel(l string) insn { i.label = l; return i }

func jeqImm(dst uint8, v int32, target string) insn {
	return insn{code: opJeqImm, regs: dst, imm: v, target: target}
}

func jneImm(dst uint8, v int32, target string) insn {
	return insn{code: opJneImm, regs: dst, imm: v, target: target}
}

// assemble resolves jump labels into offsets and encodes the program.
func assemble(insns []insn) ([]byte, error) {
	at := map[string]int{}
	for i, in := range insns {
		if in.label != "" {
			at[in.label] = i
		}
	}
	out := make([]byte, 0, 8*len(insns))
	for i, in := range insns {
		off := in.off
		if in.target != "" {
			t, ok := at[in.target]
			if !ok {
				return nil, fmt.Errorf("devices: jump to unknown label %q", in.target)
			}
			d := t - i - 1
			if d < 0 || d > 1<<15-1 {
				return nil, fmt.Errorf("devices: jump of %d instructions", d)
			}
			off = int16(d)
		}
		out = append(out, in.code, in.regs, byte(off), byte(uint16(off)>>8),
			byte(in.imm), byte(uint32(in.imm)>>8), byte(uint32(in.imm)>>16), byte(uint32(in.imm)>>24))
	}
	return out, nil
}
