package seccomp

import (
	"errors"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"

	"github.com/cais-project/cais/internal/errdefs"
)

// Filter is a compiled seccomp filter, ready to load. It holds a libseccomp
// context in C memory (freed by a finalizer). A Filter is not safe for
// concurrent use.
type Filter struct {
	ctx     *libseccomp.ScmpFilter
	notify  bool
	flags   []specs.LinuxSeccompFlag
	skipped []string
}

// Compile validates cfg and builds the filter in memory, with no effect on
// the calling process.
//
// Every problem in cfg is an error wrapping errdefs.ErrInvalidArgument whose
// text starts with the field at fault, for example
// `linux.seccomp.syscalls[3].action: unknown action "SCMP_ACT_FOO"`. A valid
// value this libseccomp cannot honour (an architecture or flag it predates)
// wraps errdefs.ErrNotImplemented instead.
//
// Syscall names libseccomp cannot resolve are skipped, as runc does: a
// profile names syscalls of every architecture and kernel version, and one
// this system lacks cannot be called here anyway. SkippedSyscalls lists
// them. A rule whose action equals the default action is redundant and is
// dropped too.
func Compile(cfg *specs.LinuxSeccomp) (*Filter, error) {
	p, err := makePlan(cfg)
	if err != nil {
		return nil, err
	}
	ctx, err := libseccomp.NewFilter(p.defaultAction)
	if err != nil {
		return nil, fmt.Errorf("creating seccomp filter: %w", err)
	}
	f := &Filter{ctx: ctx, notify: p.notify, flags: p.flags}
	// Architectures go first: libseccomp adds a rule only to the
	// architectures the filter has at that moment.
	steps := []func(*plan) error{f.setAttributes, f.setFlags, f.addArches, f.addRules}
	for _, step := range steps {
		if err := step(p); err != nil {
			ctx.Release()
			return nil, err
		}
	}
	return f, nil
}

// NeedsListener reports whether the filter uses SCMP_ACT_NOTIFY, so Load
// returns a listener fd to hand to the agent at listenerPath.
func (f *Filter) NeedsListener() bool { return f.notify }

// SkippedSyscalls returns the syscall names Compile skipped because
// libseccomp does not know them on this system, for the caller to log.
func (f *Filter) SkippedSyscalls() []string { return f.skipped }

func (f *Filter) setAttributes(p *plan) error {
	// The caller decides about no_new_privs (prctl before Load); without it
	// Load needs CAP_SYS_ADMIN.
	if err := f.ctx.SetNoNewPrivsBit(false); err != nil {
		return fmt.Errorf("clearing the seccomp no_new_privs attribute: %w", err)
	}
	// Report the kernel's errno from Load (EACCES, ESRCH...) instead of
	// libseccomp's generic ECANCELED.
	if err := f.ctx.SetRawRC(true); err != nil {
		return fmt.Errorf("setting the seccomp raw return code attribute: %w", err)
	}
	// A binary tree keeps long profiles (Docker's has ~400 names) at
	// O(log n) per syscall. libseccomp <= 2.5.4 mishandles the tree for
	// an empty filter, hence the threshold. Failure only costs speed.
	if len(p.rules) > 32 {
		_ = f.ctx.SetOptimize(2)
	}
	return nil
}

// setFlags honours the seccomp(2) flags. TSYNC needs nothing: libseccomp-golang
// always synchronises all threads (with TSYNC_ESRCH when a listener is
// used), and a Go process is multithreaded, so a filter on one thread only
// would not confine it.
func (f *Filter) setFlags(p *plan) error {
	for i, flag := range p.flags {
		field := fmt.Sprintf("linux.seccomp.flags[%d]", i)
		var err error
		switch flag {
		case FlagTSync:
		case specs.LinuxSeccompFlagLog:
			err = f.ctx.SetLogBit(true)
		case specs.LinuxSeccompFlagSpecAllow:
			err = f.ctx.SetSSB(true)
		case specs.LinuxSeccompFlagWaitKillableRecv:
			err = f.ctx.SetWaitKill(true)
		}
		if err != nil {
			return flagError(field, flag, err)
		}
	}
	return nil
}

func flagError(field string, flag specs.LinuxSeccompFlag, err error) error {
	var verErr *libseccomp.VersionError
	if errors.As(err, &verErr) {
		major, minor, micro := libseccomp.GetLibraryVersion()
		return unsupported(field, "%s is not supported by libseccomp %d.%d.%d on this kernel: %v",
			flag, major, minor, micro, err)
	}
	return fmt.Errorf("%s: setting %s: %w", field, flag, err)
}

func (f *Filter) addArches(p *plan) error {
	for i, a := range p.arches {
		if err := f.ctx.AddArch(a); err != nil {
			major, minor, micro := libseccomp.GetLibraryVersion()
			return unsupported(fmt.Sprintf("linux.seccomp.architectures[%d]", i),
				"architecture %s not supported by libseccomp %d.%d.%d: %v", a, major, minor, micro, err)
		}
	}
	return nil
}

func (f *Filter) addRules(p *plan) error {
	for _, r := range p.rules {
		if r.action == p.defaultAction {
			continue
		}
		for j, name := range r.names {
			call, err := libseccomp.GetSyscallFromName(name)
			if err != nil {
				f.skipped = append(f.skipped, name)
				continue
			}
			for _, conds := range r.condSets {
				if err := f.addRule(call, r.action, conds); err != nil {
					return fmt.Errorf("%s.names[%d]: adding rule for %s: %w: %w",
						r.field, j, name, errdefs.ErrInvalidArgument, err)
				}
			}
		}
	}
	return nil
}

func (f *Filter) addRule(call libseccomp.ScmpSyscall, act libseccomp.ScmpAction, conds []libseccomp.ScmpCondition) error {
	if len(conds) == 0 {
		return f.ctx.AddRule(call, act)
	}
	return f.ctx.AddRuleConditional(call, act, conds)
}
