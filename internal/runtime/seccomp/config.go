package seccomp

import (
	"fmt"
	"math"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"

	"github.com/cais-project/cais/internal/errdefs"
)

// FlagTSync is the seccomp flag that synchronises the filter to every thread.
// The runtime spec lists it, but specs-go has no constant for it.
const FlagTSync specs.LinuxSeccompFlag = "SECCOMP_FILTER_FLAG_TSYNC"

// maxSyscallArgs is how many arguments a Linux system call has at most.
const maxSyscallArgs = 6

// fieldError is a configuration problem in one field of the spec. It reads
// "linux.seccomp.syscalls[3].action: unknown action ..." and matches its
// class (errdefs.ErrInvalidArgument or errdefs.ErrNotImplemented) with
// errors.Is.
type fieldError struct {
	field string
	msg   string
	class error
}

func (e *fieldError) Error() string { return e.field + ": " + e.msg }
func (e *fieldError) Unwrap() error { return e.class }

func invalid(field, format string, args ...any) error {
	return &fieldError{field: field, msg: fmt.Sprintf(format, args...), class: errdefs.ErrInvalidArgument}
}

func unsupported(field, format string, args ...any) error {
	return &fieldError{field: field, msg: fmt.Sprintf(format, args...), class: errdefs.ErrNotImplemented}
}

// plan is a validated configuration in libseccomp's terms: what Compile will
// build, as data.
type plan struct {
	defaultAction libseccomp.ScmpAction
	arches        []libseccomp.ScmpArch
	flags         []specs.LinuxSeccompFlag
	rules         []rule
	notify        bool
}

// rule is one syscalls[] entry. Each element of condSets becomes one
// libseccomp rule per syscall name; an entry without args has one empty set.
type rule struct {
	field    string
	names    []string
	action   libseccomp.ScmpAction
	condSets [][]libseccomp.ScmpCondition
}

var actions = map[specs.LinuxSeccompAction]libseccomp.ScmpAction{
	specs.ActKill:        libseccomp.ActKillThread,
	specs.ActKillThread:  libseccomp.ActKillThread,
	specs.ActKillProcess: libseccomp.ActKillProcess,
	specs.ActTrap:        libseccomp.ActTrap,
	specs.ActErrno:       libseccomp.ActErrno,
	specs.ActTrace:       libseccomp.ActTrace,
	specs.ActAllow:       libseccomp.ActAllow,
	specs.ActLog:         libseccomp.ActLog,
	specs.ActNotify:      libseccomp.ActNotify,
}

var arches = map[specs.Arch]libseccomp.ScmpArch{
	specs.ArchX86:         libseccomp.ArchX86,
	specs.ArchX86_64:      libseccomp.ArchAMD64,
	specs.ArchX32:         libseccomp.ArchX32,
	specs.ArchARM:         libseccomp.ArchARM,
	specs.ArchAARCH64:     libseccomp.ArchARM64,
	specs.ArchMIPS:        libseccomp.ArchMIPS,
	specs.ArchMIPS64:      libseccomp.ArchMIPS64,
	specs.ArchMIPS64N32:   libseccomp.ArchMIPS64N32,
	specs.ArchMIPSEL:      libseccomp.ArchMIPSEL,
	specs.ArchMIPSEL64:    libseccomp.ArchMIPSEL64,
	specs.ArchMIPSEL64N32: libseccomp.ArchMIPSEL64N32,
	specs.ArchPPC:         libseccomp.ArchPPC,
	specs.ArchPPC64:       libseccomp.ArchPPC64,
	specs.ArchPPC64LE:     libseccomp.ArchPPC64LE,
	specs.ArchS390:        libseccomp.ArchS390,
	specs.ArchS390X:       libseccomp.ArchS390X,
	specs.ArchPARISC:      libseccomp.ArchPARISC,
	specs.ArchPARISC64:    libseccomp.ArchPARISC64,
	specs.ArchRISCV64:     libseccomp.ArchRISCV64,
	specs.ArchLOONGARCH64: libseccomp.ArchLOONGARCH64,
	specs.ArchM68K:        libseccomp.ArchM68K,
	specs.ArchSH:          libseccomp.ArchSH,
	specs.ArchSHEB:        libseccomp.ArchSHEB,
}

var operators = map[specs.LinuxSeccompOperator]libseccomp.ScmpCompareOp{
	specs.OpNotEqual:     libseccomp.CompareNotEqual,
	specs.OpLessThan:     libseccomp.CompareLess,
	specs.OpLessEqual:    libseccomp.CompareLessOrEqual,
	specs.OpEqualTo:      libseccomp.CompareEqual,
	specs.OpGreaterEqual: libseccomp.CompareGreaterEqual,
	specs.OpGreaterThan:  libseccomp.CompareGreater,
	specs.OpMaskedEqual:  libseccomp.CompareMaskedEqual,
}

var knownFlags = map[specs.LinuxSeccompFlag]bool{
	FlagTSync:                              true,
	specs.LinuxSeccompFlagLog:              true,
	specs.LinuxSeccompFlagSpecAllow:        true,
	specs.LinuxSeccompFlagWaitKillableRecv: true,
}

// makePlan validates cfg field by field. It calls no libseccomp function
// that touches a filter, so its errors name the spec field at fault.
func makePlan(cfg *specs.LinuxSeccomp) (*plan, error) {
	if cfg == nil {
		return nil, invalid("linux.seccomp", "missing configuration")
	}
	if cfg.ListenerMetadata != "" && cfg.ListenerPath == "" {
		return nil, invalid("linux.seccomp.listenerMetadata", "set without listenerPath")
	}
	p := &plan{}
	var err error
	p.defaultAction, err = parseAction("linux.seccomp.defaultAction", cfg.DefaultAction,
		"linux.seccomp.defaultErrnoRet", cfg.DefaultErrnoRet)
	if err != nil {
		return nil, err
	}
	if p.defaultAction == libseccomp.ActNotify {
		// Every syscall of the runtime itself, including the ones that
		// pass the listener to the agent, would wait for that agent.
		return nil, invalid("linux.seccomp.defaultAction", "%s cannot be the default action", specs.ActNotify)
	}
	if p.arches, err = parseArches(cfg.Architectures); err != nil {
		return nil, err
	}
	if p.flags, err = parseFlags(cfg.Flags); err != nil {
		return nil, err
	}
	for i, sc := range cfg.Syscalls {
		r, err := parseSyscall(fmt.Sprintf("linux.seccomp.syscalls[%d]", i), sc)
		if err != nil {
			return nil, err
		}
		if r.action == libseccomp.ActNotify {
			p.notify = true
		}
		p.rules = append(p.rules, r)
	}
	if p.notify {
		if err := checkNotify(cfg); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func checkNotify(cfg *specs.LinuxSeccomp) error {
	if cfg.ListenerPath == "" {
		return invalid("linux.seccomp.listenerPath", "required when %s is used", specs.ActNotify)
	}
	// API level 6 is libseccomp >= 2.5 on a kernel with user notification
	// and TSYNC_ESRCH (5.7), needed to combine the listener with TSYNC.
	if level, _ := libseccomp.GetAPI(); level < 6 {
		return unsupported("linux.seccomp.syscalls", "%s needs libseccomp API level 6 (libseccomp >= 2.5, Linux >= 5.7), have %d",
			specs.ActNotify, level)
	}
	return nil
}

// parseAction maps an action name and its optional errno to libseccomp.
// Only SCMP_ACT_ERRNO and SCMP_ACT_TRACE carry a value (default EPERM).
func parseAction(field string, name specs.LinuxSeccompAction, errnoField string, errnoRet *uint) (libseccomp.ScmpAction, error) {
	act, ok := actions[name]
	if !ok {
		return libseccomp.ActInvalid, invalid(field, "unknown action %q", name)
	}
	if act != libseccomp.ActErrno && act != libseccomp.ActTrace {
		if errnoRet != nil {
			return libseccomp.ActInvalid, invalid(errnoField, "set for action %s, which returns no errno", name)
		}
		return act, nil
	}
	ret := uint(1) // EPERM
	if errnoRet != nil {
		ret = *errnoRet
	}
	// The kernel keeps 16 bits of data in the filter's return value.
	if ret > math.MaxUint16 {
		return libseccomp.ActInvalid, invalid(errnoField, "%d does not fit in 16 bits", ret)
	}
	return act.SetReturnCode(int16(uint16(ret))), nil
}

func parseArches(names []specs.Arch) ([]libseccomp.ScmpArch, error) {
	var out []libseccomp.ScmpArch
	for i, name := range names {
		a, ok := arches[name]
		if !ok {
			return nil, invalid(fmt.Sprintf("linux.seccomp.architectures[%d]", i), "unknown architecture %q", name)
		}
		out = append(out, a)
	}
	return out, nil
}

func parseFlags(names []specs.LinuxSeccompFlag) ([]specs.LinuxSeccompFlag, error) {
	for i, name := range names {
		if !knownFlags[name] {
			return nil, invalid(fmt.Sprintf("linux.seccomp.flags[%d]", i), "unknown flag %q", name)
		}
	}
	return names, nil
}

func parseSyscall(field string, sc specs.LinuxSyscall) (rule, error) {
	r := rule{field: field, names: sc.Names}
	if len(sc.Names) == 0 {
		return r, invalid(field+".names", "needs at least one syscall name")
	}
	for j, name := range sc.Names {
		if name == "" {
			return r, invalid(fmt.Sprintf("%s.names[%d]", field, j), "empty syscall name")
		}
	}
	var err error
	r.action, err = parseAction(field+".action", sc.Action, field+".errnoRet", sc.ErrnoRet)
	if err != nil {
		return r, err
	}
	r.condSets, err = parseArgs(field+".args", sc.Args)
	return r, err
}

// parseArgs turns the argument conditions into sets of conditions, one set
// per libseccomp rule. Conditions on distinct arguments form one rule (all
// must match). libseccomp refuses two comparisons of the same argument in
// one rule, so when an argument index repeats every condition becomes a
// rule of its own (any one matching is enough); runc and containerd's
// profiles rely on this reading.
func parseArgs(field string, args []specs.LinuxSeccompArg) ([][]libseccomp.ScmpCondition, error) {
	if len(args) == 0 {
		return [][]libseccomp.ScmpCondition{nil}, nil
	}
	conds := make([]libseccomp.ScmpCondition, 0, len(args))
	seen := make(map[uint]bool, len(args))
	repeated := false
	for k, a := range args {
		f := fmt.Sprintf("%s[%d]", field, k)
		if a.Index >= maxSyscallArgs {
			return nil, invalid(f+".index", "%d is out of range (a syscall has %d arguments)", a.Index, maxSyscallArgs)
		}
		op, ok := operators[a.Op]
		if !ok {
			return nil, invalid(f+".op", "unknown operator %q", a.Op)
		}
		c, err := libseccomp.MakeCondition(a.Index, op, a.Value, a.ValueTwo)
		if err != nil {
			return nil, invalid(f, "%v", err)
		}
		repeated = repeated || seen[a.Index]
		seen[a.Index] = true
		conds = append(conds, c)
	}
	if !repeated {
		return [][]libseccomp.ScmpCondition{conds}, nil
	}
	sets := make([][]libseccomp.ScmpCondition, len(conds))
	for k, c := range conds {
		sets[k] = []libseccomp.ScmpCondition{c}
	}
	return sets, nil
}
