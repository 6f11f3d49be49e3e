package seccompdefault

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// outcome is what the profile does with a syscall called with args[0]=arg:
// the action and errno of the first rule that matches, else the default.
func outcome(p *specs.LinuxSeccomp, name string, arg uint64) (specs.LinuxSeccompAction, uint) {
	for _, r := range p.Syscalls {
		if !slices.Contains(r.Names, name) {
			continue
		}
		match := true
		for _, a := range r.Args {
			switch a.Op {
			case specs.OpEqualTo:
				match = match && arg == a.Value
			case specs.OpMaskedEqual:
				match = match && arg&a.Value == a.ValueTwo
			default:
				panic("unexpected op " + a.Op)
			}
		}
		if !match {
			continue
		}
		if r.ErrnoRet != nil {
			return r.Action, *r.ErrnoRet
		}
		return r.Action, 0
	}
	return p.DefaultAction, *p.DefaultErrnoRet
}

func TestProfile(t *testing.T) {
	const (
		allow  = specs.ActAllow
		errno  = specs.ActErrno
		newns  = 0x20000
		newusr = 0x10000000
		thread = 0x3d0f00 // CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_CLEARTID
	)
	docker := []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_SETUID"}
	admin := append(slices.Clone(docker), "CAP_SYS_ADMIN")
	type call struct {
		name  string
		arg   uint64
		act   specs.LinuxSeccompAction
		errno uint
	}
	type result struct {
		Action specs.LinuxSeccompAction
		Errno  uint
	}
	tests := []struct {
		name  string
		caps  []string
		calls []call
	}{
		{"default caps", docker, []call{
			{"read", 0, allow, 0},
			{"openat", 0, allow, 0},
			{"execve", 0, allow, 0},
			{"chroot", 0, allow, 0},
			{"clone", thread, allow, 0},
			{"clone", newns, errno, 1},
			{"clone", newusr | thread, errno, 1},
			{"clone3", 0, errno, 38},
			{"personality", 0x8, allow, 0},
			{"personality", 0xffffffff, allow, 0},
			{"personality", 0x0040000, errno, 1}, // ADDR_NO_RANDOMIZE
			{"mount", 0, errno, 1},
			{"unshare", 0, errno, 1},
			{"bpf", 0, errno, 1},
			{"ptrace", 0, allow, 0},
			{"process_vm_readv", 0, errno, 1},
			{"clock_settime", 0, errno, 1},
			{"init_module", 0, errno, 1},
			{"reboot", 0, errno, 1},
			{"mbind", 0, errno, 1},
			{"syslog", 0, errno, 1},
			{"keyctl", 0, errno, 1},
			{"io_uring_setup", 0, errno, 1},
		}},
		{"no caps", nil, []call{
			{"read", 0, allow, 0},
			{"chroot", 0, errno, 1},
		}},
		{"CAP_SYS_ADMIN", admin, []call{
			{"mount", 0, allow, 0},
			{"unshare", 0, allow, 0},
			{"setns", 0, allow, 0},
			{"pivot_root", 0, allow, 0},
			{"bpf", 0, allow, 0},
			{"clone", newns | newusr, allow, 0},
			{"clone3", 0, allow, 0},
			{"process_vm_readv", 0, errno, 1},
		}},
		{"CAP_BPF", []string{"CAP_BPF"}, []call{{"bpf", 0, allow, 0}, {"mount", 0, errno, 1}}},
		{"CAP_SYS_PTRACE", []string{"CAP_SYS_PTRACE"}, []call{
			{"ptrace", 0, allow, 0}, {"process_vm_readv", 0, allow, 0}, {"kcmp", 0, allow, 0},
		}},
		{"CAP_SYS_TIME", []string{"CAP_SYS_TIME"}, []call{
			{"clock_settime", 0, allow, 0}, {"settimeofday", 0, allow, 0},
		}},
		{"CAP_SYS_MODULE", []string{"CAP_SYS_MODULE"}, []call{{"finit_module", 0, allow, 0}}},
		{"CAP_SYS_BOOT", []string{"CAP_SYS_BOOT"}, []call{{"reboot", 0, allow, 0}}},
		{"CAP_SYS_NICE", []string{"CAP_SYS_NICE"}, []call{
			{"mbind", 0, allow, 0}, {"set_mempolicy", 0, allow, 0}, {"move_pages", 0, allow, 0},
		}},
		{"CAP_SYSLOG", []string{"CAP_SYSLOG"}, []call{{"syslog", 0, allow, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Profile(tt.caps)
			for _, c := range tt.calls {
				act, e := outcome(p, c.name, c.arg)
				if diff := cmp.Diff(result{c.act, c.errno}, result{act, e}); diff != "" {
					t.Errorf("%s(%#x) (-want +got):\n%s", c.name, c.arg, diff)
				}
			}
		})
	}
}

func TestProfileShape(t *testing.T) {
	p := Profile(nil)
	if p.DefaultAction != specs.ActErrno || p.DefaultErrnoRet == nil || *p.DefaultErrnoRet != 1 {
		t.Errorf("default: %s errno %v, want SCMP_ACT_ERRNO with EPERM", p.DefaultAction, p.DefaultErrnoRet)
	}
	want := []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32, specs.ArchAARCH64}
	if diff := cmp.Diff(want, p.Architectures); diff != "" {
		t.Errorf("architectures (-want +got):\n%s", diff)
	}
	// Each name belongs to one place in the table, so that moving a
	// syscall between groups cannot leave a stale copy behind.
	seen := map[string]string{}
	note := func(where string, names []string) {
		for _, n := range names {
			if prev, ok := seen[n]; ok {
				t.Errorf("%s is listed in %q and %q", n, prev, where)
			}
			seen[n] = where
		}
	}
	for _, g := range allowed {
		note(g.purpose, g.names)
	}
	for _, g := range gated {
		note(g.caps[0], g.names)
	}
	note("argument-checked", []string{"clone", "personality"})
	// Profile returns a fresh value each time.
	p.Architectures[0] = "changed"
	if got := Profile(nil).Architectures[0]; got != specs.ArchX86_64 {
		t.Errorf("a caller's change leaked into the next Profile: %s", got)
	}
}
