package seccomp

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/testgate"
)

// goRuntimeSyscalls are the syscalls a Go child needs after Load to finish
// its work and print results; an allow-list profile in these tests starts
// from them.
var goRuntimeSyscalls = []string{
	"read", "write", "close", "exit", "exit_group", "futex", "mmap", "munmap", "mprotect",
	"madvise", "brk", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack",
	"sched_yield", "nanosleep", "clock_nanosleep", "clock_gettime", "gettid", "getpid", "tgkill",
	"clone", "clone3", "set_robust_list", "rseq", "epoll_pwait", "epoll_ctl", "epoll_create1",
	"eventfd2", "pipe2", "fcntl", "openat", "newfstatat", "fstat", "sched_getaffinity", "getrandom",
}

// Syscall numbers for raw calls; x32 calls are x86_64 numbers with bit 30.
const (
	x32Bit = 0x40000000

	afNetlink    = 16
	netlinkAudit = 9
	ipprotoICMP  = 1
	perLinux32   = 0x0008
	addrNoRandom = 0x0040000
	perQuery     = 0xffffffff
)

func mkdirCall(path string) call {
	return call{Nr: unix.SYS_MKDIR, Path: path, Args: [6]uintptr{0, 0o755}}
}
func getpidCall() call { return call{Nr: unix.SYS_GETPID} }
func personalityCall(p uintptr) call {
	return call{Nr: unix.SYS_PERSONALITY, Args: [6]uintptr{p}}
}
func socketCall(family, typ, proto uintptr) call {
	return call{Nr: unix.SYS_SOCKET, Args: [6]uintptr{family, typ, proto}, CloseFd: true}
}
func onThread(c call) call { c.OnThread = true; return c }

func allowDefault(rules ...specs.LinuxSyscall) specs.LinuxSeccomp {
	return specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: rules}
}

func TestLoad(t *testing.T) {
	testgate.Root(t)
	dir := t.TempDir()
	path := func(name string) string { return filepath.Join(dir, name) }
	mkdirRule := func(act specs.LinuxSeccompAction, errnoRet *uint) specs.LinuxSyscall {
		return specs.LinuxSyscall{Names: []string{"mkdir"}, Action: act, ErrnoRet: errnoRet}
	}
	const sigsys = "bad system call"

	tests := []struct {
		name    string
		profile specs.LinuxSeccomp
		calls   []call
		want    outcome
		// wantStderr is a substring of the child's stderr.
		wantStderr string
		// wantDirs must exist after the child ran.
		wantDirs []string
	}{
		{
			name:    "errno defaults to EPERM",
			profile: allowDefault(mkdirRule(specs.ActErrno, nil)),
			calls:   []call{mkdirCall(path("errno")), getpidCall()},
			want:    outcome{Results: []string{"1 (operation not permitted)", "ok"}},
		},
		{
			name:    "errno with errnoRet",
			profile: allowDefault(mkdirRule(specs.ActErrno, uintPtr(uint(unix.EROFS)))),
			calls:   []call{mkdirCall(path("erofs"))},
			want:    outcome{Results: []string{"30 (read-only file system)"}},
		},
		{
			name: "default errno with an allow list",
			profile: specs.LinuxSeccomp{
				DefaultAction: specs.ActErrno, DefaultErrnoRet: uintPtr(uint(unix.ENOSYS)),
				Syscalls: []specs.LinuxSyscall{{Names: goRuntimeSyscalls, Action: specs.ActAllow}},
			},
			calls: []call{mkdirCall(path("default-errno")), getpidCall(), {Nr: unix.SYS_GETPPID}},
			want:  outcome{Results: []string{"38 (function not implemented)", "ok", "38 (function not implemented)"}},
		},
		{
			name:    "kill_process kills the process with SIGSYS",
			profile: allowDefault(mkdirRule(specs.ActKillProcess, nil)),
			calls:   []call{getpidCall(), onThread(mkdirCall(path("kill-process"))), getpidCall()},
			want:    outcome{Results: []string{"ok"}, Signal: sigsys},
		},
		{
			name:    "kill_thread kills only the calling thread",
			profile: allowDefault(mkdirRule(specs.ActKillThread, nil)),
			calls:   []call{onThread(mkdirCall(path("kill-thread"))), getpidCall()},
			want:    outcome{Results: []string{"thread killed", "ok"}},
		},
		{
			name:    "kill means kill_thread",
			profile: allowDefault(mkdirRule(specs.ActKill, nil)),
			calls:   []call{onThread(mkdirCall(path("kill"))), getpidCall()},
			want:    outcome{Results: []string{"thread killed", "ok"}},
		},
		{
			// The Go runtime does not forward a SIGSYS raised by seccomp to
			// signal.Notify: it reports the signal and its si_code
			// (1 = SYS_SECCOMP), then exits 2.
			name:       "trap delivers SIGSYS",
			profile:    allowDefault(mkdirRule(specs.ActTrap, nil)),
			calls:      []call{getpidCall(), mkdirCall(path("trap"))},
			want:       outcome{Results: []string{"ok"}, Exit: 2},
			wantStderr: "SIGSYS: bad system call",
		},
		{
			name:     "log allows the call",
			profile:  allowDefault(mkdirRule(specs.ActLog, nil)),
			calls:    []call{mkdirCall(path("log"))},
			want:     outcome{Results: []string{"ok"}},
			wantDirs: []string{path("log")},
		},
		{
			// With no tracer attached the kernel fails a traced call with
			// ENOSYS; errnoRet is the value a tracer would read.
			name:    "trace without a tracer",
			profile: allowDefault(mkdirRule(specs.ActTrace, uintPtr(42))),
			calls:   []call{mkdirCall(path("trace"))},
			want:    outcome{Results: []string{"38 (function not implemented)"}},
		},
		{
			name: "allow rules under a kill default",
			profile: specs.LinuxSeccomp{
				DefaultAction: specs.ActKillProcess,
				Syscalls: []specs.LinuxSyscall{
					{Names: append([]string{"mkdir"}, goRuntimeSyscalls...), Action: specs.ActAllow},
				},
			},
			calls:    []call{mkdirCall(path("allowed")), {Nr: unix.SYS_GETPPID}},
			want:     outcome{Results: []string{"ok"}, Signal: sigsys},
			wantDirs: []string{path("allowed")},
		},
		{
			name: "argument condition",
			profile: allowDefault(specs.LinuxSyscall{
				Names: []string{"personality"}, Action: specs.ActErrno,
				Args: []specs.LinuxSeccompArg{{Index: 0, Value: perQuery, Op: specs.OpNotEqual}},
			}),
			calls: []call{personalityCall(perQuery), personalityCall(perLinux32)},
			want:  outcome{Results: []string{"ok", "1 (operation not permitted)"}},
		},
		{
			name: "conditions on one argument match any",
			profile: allowDefault(specs.LinuxSyscall{
				Names: []string{"personality"}, Action: specs.ActErrno,
				Args: []specs.LinuxSeccompArg{
					{Index: 0, Value: perLinux32, Op: specs.OpEqualTo},
					{Index: 0, Value: addrNoRandom, Op: specs.OpEqualTo},
				},
			}),
			calls: []call{personalityCall(perLinux32), personalityCall(addrNoRandom), personalityCall(perQuery)},
			want:  outcome{Results: []string{"1 (operation not permitted)", "1 (operation not permitted)", "ok"}},
		},
		{
			name: "conditions on several arguments match all",
			profile: allowDefault(specs.LinuxSyscall{
				Names: []string{"socket"}, Action: specs.ActErrno, ErrnoRet: uintPtr(uint(unix.EINVAL)),
				Args: []specs.LinuxSeccompArg{
					{Index: 0, Value: afNetlink, Op: specs.OpEqualTo},
					{Index: 2, Value: netlinkAudit, Op: specs.OpEqualTo},
				},
			}),
			calls: []call{
				socketCall(afNetlink, unix.SOCK_RAW, netlinkAudit),
				socketCall(afNetlink, unix.SOCK_RAW, unix.NETLINK_ROUTE),
				socketCall(unix.AF_INET, unix.SOCK_RAW, netlinkAudit), // protocol 9 is IGP here
			},
			want: outcome{Results: []string{"22 (invalid argument)", "ok", "ok"}},
		},
		{
			name: "masked equality ignores other bits",
			profile: allowDefault(specs.LinuxSyscall{
				Names: []string{"socket"}, Action: specs.ActErrno,
				Args: []specs.LinuxSeccompArg{{Index: 1, Value: 0xf, ValueTwo: unix.SOCK_RAW, Op: specs.OpMaskedEqual}},
			}),
			calls: []call{
				socketCall(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, ipprotoICMP),
				socketCall(unix.AF_INET, unix.SOCK_RAW, ipprotoICMP),
				socketCall(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0),
			},
			want: outcome{Results: []string{"1 (operation not permitted)", "1 (operation not permitted)", "ok"}},
		},
		{
			name: "flags",
			profile: specs.LinuxSeccomp{
				DefaultAction: specs.ActAllow,
				Flags:         []specs.LinuxSeccompFlag{FlagTSync, specs.LinuxSeccompFlagLog, specs.LinuxSeccompFlagSpecAllow},
				Syscalls:      []specs.LinuxSyscall{mkdirRule(specs.ActErrno, nil)},
			},
			calls: []call{onThread(mkdirCall(path("flags"))), mkdirCall(path("flags"))},
			want:  outcome{Results: []string{"1 (operation not permitted)", "1 (operation not permitted)"}},
		},
		{
			name: "syscall names this system lacks are skipped",
			profile: allowDefault(specs.LinuxSyscall{
				Names: []string{"no_such_syscall", "mkdir"}, Action: specs.ActErrno,
			}),
			calls: []call{mkdirCall(path("skipped"))},
			want:  outcome{Results: []string{"1 (operation not permitted)"}},
		},
	}
	if runtime.GOARCH == "amd64" {
		tests = append(tests, []struct {
			name       string
			profile    specs.LinuxSeccomp
			calls      []call
			want       outcome
			wantStderr string
			wantDirs   []string
		}{
			{
				// An x32 call is checked against the x32 rules once
				// SCMP_ARCH_X32 is in the filter, whether or not this
				// kernel implements x32.
				name: "x32 in architectures",
				profile: specs.LinuxSeccomp{
					DefaultAction: specs.ActAllow,
					Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
					Syscalls:      []specs.LinuxSyscall{mkdirRule(specs.ActErrno, uintPtr(uint(unix.EROFS)))},
				},
				calls: []call{onThread(call{Nr: x32Bit | unix.SYS_MKDIR, Path: path("x32")}), mkdirCall(path("x32"))},
				want:  outcome{Results: []string{"30 (read-only file system)", "30 (read-only file system)"}},
			},
			{
				// Without it, an x32 call is a foreign architecture and
				// gets libseccomp's bad-architecture action, kill thread.
				name:    "x32 not in architectures",
				profile: allowDefault(mkdirRule(specs.ActErrno, uintPtr(uint(unix.EROFS)))),
				calls:   []call{onThread(call{Nr: x32Bit | unix.SYS_MKDIR, Path: path("x32")}), mkdirCall(path("x32"))},
				want:    outcome{Results: []string{"thread killed", "30 (read-only file system)"}},
			},
		}...)
	}
	// Each case loads as the runtime does (an exported Program) and
	// through libseccomp: both must give the same outcome.
	for _, tt := range tests {
		for _, viaFilter := range []bool{false, true} {
			name := tt.name
			if viaFilter {
				name += "/via libseccomp"
			}
			t.Run(name, func(t *testing.T) {
				got, stderr := runInChild(t, childRequest{Profile: tt.profile, Calls: tt.calls, ViaFilter: viaFilter})
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("child outcome mismatch (-want +got):\n%s\nstderr:\n%s", diff, stderr)
				}
				if !strings.Contains(stderr, tt.wantStderr) {
					t.Errorf("child stderr does not contain %q:\n%s", tt.wantStderr, stderr)
				}
				for _, d := range tt.wantDirs {
					if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
						t.Errorf("directory %s the child made: %v", d, err)
					}
					os.Remove(d)
				}
			})
		}
	}
}

// TestLoadLeavesNoNewPrivsToCaller checks Compile clears libseccomp's
// habit of setting no_new_privs itself: without it and without
// CAP_SYS_ADMIN the kernel must refuse the filter.
func TestLoadLeavesNoNewPrivsToCaller(t *testing.T) {
	testgate.Root(t)
	for _, viaFilter := range []bool{false, true} {
		got, stderr := runInChild(t, childRequest{
			Profile:          allowDefault(specs.LinuxSyscall{Names: []string{"mkdir"}, Action: specs.ActErrno}),
			WithoutPrivilege: true,
			ViaFilter:        viaFilter,
		})
		want := outcome{Results: []string{"13 (permission denied)"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("via libseccomp %v: child outcome mismatch (-want +got):\n%s\nstderr:\n%s", viaFilter, diff, stderr)
		}
	}
}
