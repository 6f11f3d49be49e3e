package seccomp

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"

	"github.com/cais-project/cais/internal/errdefs"
)

func uintPtr(v uint) *uint { return &v }

// allowAll is a valid profile the bad cases below each break in one place.
func allowAll() *specs.LinuxSeccomp {
	return &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"mkdir"}, Action: specs.ActErrno},
			{Names: []string{"getcwd"}, Action: specs.ActErrno, ErrnoRet: uintPtr(38)},
			{Names: []string{"chmod"}, Action: specs.ActLog},
			{Names: []string{"personality"}, Action: specs.ActTrace, ErrnoRet: uintPtr(7)},
		},
	}
}

func TestCompileRejects(t *testing.T) {
	tests := []struct {
		name   string
		modify func(c *specs.LinuxSeccomp)
		want   string
		class  error
	}{
		{
			name:   "unknown action",
			modify: func(c *specs.LinuxSeccomp) { c.Syscalls[3].Action = "SCMP_ACT_FOO" },
			want:   `linux.seccomp.syscalls[3].action: unknown action "SCMP_ACT_FOO"`,
		},
		{
			name:   "unknown default action",
			modify: func(c *specs.LinuxSeccomp) { c.DefaultAction = "SCMP_ACT_NOPE" },
			want:   `linux.seccomp.defaultAction: unknown action "SCMP_ACT_NOPE"`,
		},
		{
			name:   "empty default action",
			modify: func(c *specs.LinuxSeccomp) { c.DefaultAction = "" },
			want:   `linux.seccomp.defaultAction: unknown action ""`,
		},
		{
			name:   "notify as default action",
			modify: func(c *specs.LinuxSeccomp) { c.DefaultAction = specs.ActNotify; c.ListenerPath = "/run/agent.sock" },
			want:   `linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action`,
		},
		{
			name:   "defaultErrnoRet with allow",
			modify: func(c *specs.LinuxSeccomp) { c.DefaultErrnoRet = uintPtr(1) },
			want:   `linux.seccomp.defaultErrnoRet: set for action SCMP_ACT_ALLOW, which returns no errno`,
		},
		{
			name:   "errnoRet on kill",
			modify: func(c *specs.LinuxSeccomp) { c.Syscalls[2].Action = specs.ActKill; c.Syscalls[2].ErrnoRet = uintPtr(1) },
			want:   `linux.seccomp.syscalls[2].errnoRet: set for action SCMP_ACT_KILL, which returns no errno`,
		},
		{
			name:   "errnoRet too large",
			modify: func(c *specs.LinuxSeccomp) { c.Syscalls[1].ErrnoRet = uintPtr(70000) },
			want:   `linux.seccomp.syscalls[1].errnoRet: 70000 does not fit in 16 bits`,
		},
		{
			name:   "unknown architecture",
			modify: func(c *specs.LinuxSeccomp) { c.Architectures = []specs.Arch{specs.ArchX86, "SCMP_ARCH_VAX"} },
			want:   `linux.seccomp.architectures[1]: unknown architecture "SCMP_ARCH_VAX"`,
		},
		{
			name:   "lower-case architecture",
			modify: func(c *specs.LinuxSeccomp) { c.Architectures = []specs.Arch{"x86_64"} },
			want:   `linux.seccomp.architectures[0]: unknown architecture "x86_64"`,
		},
		{
			name: "unknown flag",
			modify: func(c *specs.LinuxSeccomp) {
				c.Flags = []specs.LinuxSeccompFlag{FlagTSync, "SECCOMP_FILTER_FLAG_BOGUS"}
			},
			want: `linux.seccomp.flags[1]: unknown flag "SECCOMP_FILTER_FLAG_BOGUS"`,
		},
		{
			name: "bad operator",
			modify: func(c *specs.LinuxSeccomp) {
				c.Syscalls[0].Args = []specs.LinuxSeccompArg{{Index: 0, Value: 1, Op: specs.OpEqualTo}, {Index: 1, Value: 1, Op: "SCMP_CMP_ALMOST"}}
			},
			want: `linux.seccomp.syscalls[0].args[1].op: unknown operator "SCMP_CMP_ALMOST"`,
		},
		{
			name: "argument index out of range",
			modify: func(c *specs.LinuxSeccomp) {
				c.Syscalls[0].Args = []specs.LinuxSeccompArg{{Index: 6, Value: 1, Op: specs.OpEqualTo}}
			},
			want: `linux.seccomp.syscalls[0].args[0].index: 6 is out of range (a syscall has 6 arguments)`,
		},
		{
			name:   "no names",
			modify: func(c *specs.LinuxSeccomp) { c.Syscalls[1].Names = nil },
			want:   `linux.seccomp.syscalls[1].names: needs at least one syscall name`,
		},
		{
			name:   "empty name",
			modify: func(c *specs.LinuxSeccomp) { c.Syscalls[1].Names = []string{"getcwd", ""} },
			want:   `linux.seccomp.syscalls[1].names[1]: empty syscall name`,
		},
		{
			name:   "notify without listenerPath",
			modify: func(c *specs.LinuxSeccomp) { c.Syscalls[2].Action = specs.ActNotify },
			want:   `linux.seccomp.listenerPath: required when SCMP_ACT_NOTIFY is used`,
		},
		{
			name:   "listenerMetadata without listenerPath",
			modify: func(c *specs.LinuxSeccomp) { c.ListenerMetadata = "opaque" },
			want:   `linux.seccomp.listenerMetadata: set without listenerPath`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := allowAll()
			tt.modify(cfg)
			f, err := Compile(cfg)
			if err == nil {
				t.Fatalf("Compile() = %v, nil; want error %q", f, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("Compile() error = %q, want %q", err, tt.want)
			}
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Errorf("Compile() error %q is not ErrInvalidArgument", err)
			}
			// Validate, the cheap check the runtime's parent uses, must
			// refuse exactly the same way.
			if verr := Validate(cfg); verr == nil || verr.Error() != err.Error() {
				t.Errorf("Validate() = %v, want %q", verr, err)
			}
		})
	}
}

func TestCompileNil(t *testing.T) {
	if _, err := Compile(nil); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("Compile(nil) error = %v, want ErrInvalidArgument", err)
	}
}

func TestCompileAccepts(t *testing.T) {
	tests := []struct {
		name        string
		modify      func(c *specs.LinuxSeccomp)
		wantNotify  bool
		wantSkipped []string
	}{
		{name: "valid profile", modify: func(*specs.LinuxSeccomp) {}},
		{
			name: "all actions and arches",
			modify: func(c *specs.LinuxSeccomp) {
				c.DefaultAction = specs.ActErrno
				c.DefaultErrnoRet = uintPtr(38)
				c.Architectures = []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32}
				c.Flags = []specs.LinuxSeccompFlag{FlagTSync, specs.LinuxSeccompFlagLog, specs.LinuxSeccompFlagSpecAllow}
				c.ListenerPath = "/run/agent.sock"
				c.ListenerMetadata = "opaque"
				for _, a := range []specs.LinuxSeccompAction{specs.ActKill, specs.ActKillProcess, specs.ActKillThread,
					specs.ActTrap, specs.ActAllow, specs.ActNotify} {
					c.Syscalls = append(c.Syscalls, specs.LinuxSyscall{Names: []string{"uname"}, Action: a})
				}
			},
			wantNotify: true,
		},
		{
			name: "unknown syscall names are skipped",
			modify: func(c *specs.LinuxSeccomp) {
				c.Syscalls[0].Names = []string{"mkdir", "no_such_syscall", "rmdir"}
			},
			wantSkipped: []string{"no_such_syscall"},
		},
		{
			name: "rule with the default action is dropped",
			modify: func(c *specs.LinuxSeccomp) {
				c.Syscalls = append(c.Syscalls, specs.LinuxSyscall{Names: []string{"getpid"}, Action: specs.ActAllow})
			},
		},
		{
			name: "several conditions on one argument",
			modify: func(c *specs.LinuxSeccomp) {
				c.Syscalls[0].Args = []specs.LinuxSeccompArg{
					{Index: 1, Value: 0o700, Op: specs.OpEqualTo},
					{Index: 1, Value: 0o755, Op: specs.OpEqualTo},
					{Index: 0, Value: 0, Op: specs.OpNotEqual},
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := allowAll()
			tt.modify(cfg)
			f, err := Compile(cfg)
			if err != nil {
				t.Fatalf("Compile() error = %v", err)
			}
			if got := f.NeedsListener(); got != tt.wantNotify {
				t.Errorf("NeedsListener() = %v, want %v", got, tt.wantNotify)
			}
			if diff := cmp.Diff(tt.wantSkipped, f.SkippedSyscalls(), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("SkippedSyscalls() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// WAIT_KILLABLE_RECV needs libseccomp 2.6: with an older one Compile must say
// so (ErrNotImplemented naming the flag), never silently drop the flag.
func TestCompileWaitKillableRecv(t *testing.T) {
	cfg := allowAll()
	cfg.Flags = []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagWaitKillableRecv}
	_, err := Compile(cfg)
	major, minor, _ := libseccomp.GetLibraryVersion()
	if major > 2 || minor >= 6 {
		if err != nil {
			t.Fatalf("Compile() with libseccomp %d.%d error = %v", major, minor, err)
		}
		return
	}
	if !errors.Is(err, errdefs.ErrNotImplemented) {
		t.Fatalf("Compile() with libseccomp %d.%d error = %v, want ErrNotImplemented", major, minor, err)
	}
	if verr := Validate(cfg); !errors.Is(verr, errdefs.ErrNotImplemented) {
		t.Fatalf("Validate() = %v, want ErrNotImplemented", verr)
	}
	const prefix = "linux.seccomp.flags[0]: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV is not supported by libseccomp"
	if !strings.HasPrefix(err.Error(), prefix) {
		t.Errorf("Compile() error = %q, want prefix %q", err, prefix)
	}
}
