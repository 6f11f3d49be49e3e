package seccompdefault

import (
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// errnoEPERM and errnoENOSYS are the errno values the profile answers with.
const (
	errnoEPERM  = 1
	errnoENOSYS = 38
)

// cloneNamespaceFlags are the CLONE_NEW* bits clone(2) accepts in its
// flags argument: NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID and
// NEWNET. (CLONE_NEWTIME shares its bit with CSIGNAL in clone(2) and is
// only reachable through clone3 and unshare, which are gated as a whole.)
const cloneNamespaceFlags = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 |
	0x10000000 | 0x20000000 | 0x40000000

// harmlessPersonalities are the personality(2) arguments a container may
// pass: PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, and the
// 0xffffffff query that only reads the current persona.
var harmlessPersonalities = []uint64{0x0, 0x8, 0x20000, 0x20008, 0xffffffff}

// group is a set of syscalls allowed together, for one purpose.
type group struct {
	purpose string
	names   []string
}

// allowed is what any container may call, whatever its capabilities.
// clone, clone3 and personality are absent: they are allowed only with
// argument checks (see Profile).
var allowed = []group{
	{"reading, writing and moving data through file descriptors", []string{
		"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev",
		"preadv2", "pwritev2", "lseek", "_llseek", "sendfile", "sendfile64", "splice",
		"tee", "vmsplice", "copy_file_range",
	}},
	{"managing descriptors and syncing files", []string{
		"close", "close_range", "dup", "dup2", "dup3", "fcntl", "fcntl64", "ioctl",
		"flock", "fsync", "fdatasync", "sync", "syncfs", "sync_file_range",
		"fallocate", "fadvise64", "fadvise64_64", "readahead", "truncate",
		"truncate64", "ftruncate", "ftruncate64",
	}},
	{"opening files and looking paths up", []string{
		"open", "openat", "openat2", "creat", "access", "faccessat", "faccessat2",
		"stat", "lstat", "fstat", "stat64", "lstat64", "fstat64", "newfstatat",
		"fstatat64", "statx", "statfs", "statfs64", "fstatfs", "fstatfs64",
		"readlink", "readlinkat", "getcwd", "chdir", "fchdir", "getdents",
		"getdents64",
	}},
	{"changing the file tree and file metadata (the kernel checks DAC and capabilities)", []string{
		"mkdir", "mkdirat", "rmdir", "unlink", "unlinkat", "rename", "renameat",
		"renameat2", "link", "linkat", "symlink", "symlinkat", "mknod", "mknodat",
		"umask", "utime", "utimes", "utimensat", "utimensat_time64", "futimesat",
		"chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown",
		"fchownat", "chown32", "fchown32", "lchown32",
	}},
	{"extended attributes", []string{
		"getxattr", "lgetxattr", "fgetxattr", "getxattrat", "setxattr", "lsetxattr",
		"fsetxattr", "setxattrat", "listxattr", "llistxattr", "flistxattr",
		"listxattrat", "removexattr", "lremovexattr", "fremovexattr", "removexattrat",
	}},
	{"watching files", []string{
		"inotify_init", "inotify_init1", "inotify_add_watch", "inotify_rm_watch",
	}},
	{"memory mappings and memory policy queries", []string{
		"brk", "mmap", "mmap2", "munmap", "mremap", "mprotect", "madvise", "mlock",
		"mlock2", "munlock", "mlockall", "munlockall", "mincore", "msync",
		"remap_file_pages", "memfd_create", "membarrier", "pkey_alloc", "pkey_free",
		"pkey_mprotect", "get_mempolicy", "map_shadow_stack", "mseal",
	}},
	{"starting, running and ending processes and threads", []string{
		"fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4", "ptrace",
		"waitid", "waitpid", "set_tid_address", "set_robust_list",
		"get_robust_list", "futex", "futex_time64", "futex_waitv", "futex_wake",
		"futex_wait", "futex_requeue", "rseq", "arch_prctl", "prctl",
		"set_thread_area", "get_thread_area", "restart_syscall", "pidfd_open",
		"pidfd_send_signal", "pidfd_getfd", "seccomp", "landlock_create_ruleset",
		"landlock_add_rule", "landlock_restrict_self",
	}},
	{"process identity, sessions and limits", []string{
		"getpid", "getppid", "gettid", "getpgid", "setpgid", "getpgrp", "getsid",
		"setsid", "capget", "capset", "getrlimit", "setrlimit", "prlimit64",
		"ugetrlimit", "getrusage", "times", "uname", "sysinfo", "getcpu",
		"getrandom",
	}},
	{"scheduling and I/O priorities (raising them needs CAP_SYS_NICE, checked by the kernel)", []string{
		"sched_yield", "sched_getaffinity", "sched_setaffinity", "sched_getparam",
		"sched_setparam", "sched_getscheduler", "sched_setscheduler",
		"sched_get_priority_max", "sched_get_priority_min", "sched_rr_get_interval",
		"sched_rr_get_interval_time64", "sched_getattr", "sched_setattr",
		"getpriority", "setpriority", "ioprio_get", "ioprio_set",
	}},
	{"user and group credentials", []string{
		"getuid", "geteuid", "getgid", "getegid", "getuid32", "geteuid32", "getgid32",
		"getegid32", "setuid", "setgid", "setuid32", "setgid32", "setreuid",
		"setregid", "setreuid32", "setregid32", "setresuid", "setresgid",
		"setresuid32", "setresgid32", "getresuid", "getresgid", "getresuid32",
		"getresgid32", "setgroups", "getgroups", "setgroups32", "getgroups32",
		"setfsuid", "setfsgid", "setfsuid32", "setfsgid32",
	}},
	{"signals", []string{
		"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigsuspend",
		"rt_sigpending", "rt_sigtimedwait", "rt_sigtimedwait_time64",
		"rt_sigqueueinfo", "rt_tgsigqueueinfo", "sigaltstack", "kill", "tkill",
		"tgkill", "pause", "signalfd", "signalfd4", "sigreturn", "sigprocmask",
		"sigpending", "sigsuspend",
	}},
	{"clocks, sleeping and timers (reading time only)", []string{
		"clock_gettime", "clock_gettime64", "clock_getres", "clock_getres_time64",
		"clock_nanosleep", "clock_nanosleep_time64", "nanosleep", "gettimeofday",
		"time", "alarm", "getitimer", "setitimer", "timer_create", "timer_delete",
		"timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64",
		"timer_getoverrun", "timerfd_create", "timerfd_gettime",
		"timerfd_gettime64", "timerfd_settime", "timerfd_settime64",
	}},
	{"waiting for events on descriptors, and asynchronous I/O", []string{
		"poll", "ppoll", "ppoll_time64", "select", "_newselect", "pselect6",
		"pselect6_time64", "epoll_create", "epoll_create1", "epoll_ctl",
		"epoll_wait", "epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2",
		"io_setup", "io_destroy", "io_getevents", "io_pgetevents",
		"io_pgetevents_time64", "io_submit", "io_cancel",
	}},
	{"pipes and sockets", []string{
		"pipe", "pipe2", "socket", "socketpair", "bind", "connect", "listen",
		"accept", "accept4", "getsockname", "getpeername", "sendto", "recvfrom",
		"send", "recv", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg",
		"recvmmsg_time64", "shutdown", "setsockopt", "getsockopt", "socketcall",
	}},
	{"System V IPC and POSIX message queues (both namespaced)", []string{
		"shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semtimedop",
		"semtimedop_time64", "semctl", "msgget", "msgsnd", "msgrcv", "msgctl",
		"ipc", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedsend_time64",
		"mq_timedreceive", "mq_timedreceive_time64", "mq_notify", "mq_getsetattr",
	}},
}

// capGroup is a set of syscalls allowed only to a container that holds
// one of caps.
type capGroup struct {
	caps  []string
	names []string
}

// gated are the groups a capability unlocks. Without the capability the
// call is refused with EPERM before the kernel looks at it, which also
// closes paths the kernel would allow without any capability (unshare of
// a user namespace, for one).
var gated = []capGroup{
	// Mounts, namespaces, the new mount API, BPF, perf, quotas, swap, host
	// and domain names, file handles and fanotify: all host-wide or
	// namespace-escaping machinery.
	{[]string{"CAP_SYS_ADMIN"}, []string{
		"mount", "umount", "umount2", "unshare", "setns", "pivot_root", "fsopen",
		"fsconfig", "fsmount", "fspick", "move_mount", "open_tree",
		"open_tree_attr", "mount_setattr", "quotactl", "quotactl_fd", "swapon",
		"swapoff", "sethostname", "setdomainname", "name_to_handle_at",
		"fanotify_init", "fanotify_mark", "lookup_dcookie", "clone3",
	}},
	{[]string{"CAP_SYS_ADMIN", "CAP_BPF"}, []string{"bpf"}},
	{[]string{"CAP_SYS_ADMIN", "CAP_PERFMON"}, []string{"perf_event_open"}},
	// Reading and writing other processes' memory. ptrace itself is in the
	// process group: since Linux 4.8 it cannot be used to step around a
	// seccomp filter, the kernel's own checks (same user, Yama) still
	// apply, and Docker allows it, so strace of one's own children works.
	{[]string{"CAP_SYS_PTRACE"}, []string{
		"process_vm_readv", "process_vm_writev", "kcmp", "process_madvise",
	}},
	// Setting the system clock.
	{[]string{"CAP_SYS_TIME"}, []string{
		"settimeofday", "stime", "clock_settime", "clock_settime64", "adjtimex",
		"clock_adjtime", "clock_adjtime64",
	}},
	// Loading kernel code.
	{[]string{"CAP_SYS_MODULE"}, []string{"init_module", "finit_module", "delete_module"}},
	{[]string{"CAP_SYS_BOOT"}, []string{"reboot", "kexec_load", "kexec_file_load"}},
	// NUMA placement of memory on the host's nodes.
	{[]string{"CAP_SYS_NICE"}, []string{
		"mbind", "set_mempolicy", "set_mempolicy_home_node", "move_pages", "migrate_pages",
	}},
	{[]string{"CAP_SYSLOG"}, []string{"syslog"}},
	{[]string{"CAP_SYS_CHROOT"}, []string{"chroot"}},
	{[]string{"CAP_SYS_PACCT"}, []string{"acct"}},
	{[]string{"CAP_SYS_RAWIO"}, []string{"iopl", "ioperm"}},
	{[]string{"CAP_SYS_TTY_CONFIG"}, []string{"vhangup"}},
	{[]string{"CAP_DAC_READ_SEARCH"}, []string{"open_by_handle_at"}},
}

// architectures are the ABIs the filter covers: amd64's three and arm64.
// A syscall made through any other ABI gets the default action.
var architectures = []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32, specs.ArchAARCH64}

// Profile returns cais's default seccomp profile for a container whose
// effective capabilities are caps ("CAP_..." names): everything not
// allowed fails with EPERM; the allowlist above plus the groups caps
// unlock are allowed; clone may not create namespaces and clone3 answers
// ENOSYS (so libc falls back to clone) unless caps hold CAP_SYS_ADMIN;
// personality takes only harmless personas. Each call returns a new
// value the caller may change.
func Profile(caps []string) *specs.LinuxSeccomp {
	eperm := uint(errnoEPERM)
	p := &specs.LinuxSeccomp{
		DefaultAction:   specs.ActErrno,
		DefaultErrnoRet: &eperm,
		Architectures:   slices.Clone(architectures),
	}
	var names []string
	for _, g := range allowed {
		names = append(names, g.names...)
	}
	sysAdmin := slices.Contains(caps, "CAP_SYS_ADMIN")
	for _, g := range gated {
		if slices.ContainsFunc(g.caps, func(c string) bool { return slices.Contains(caps, c) }) {
			names = append(names, g.names...)
		}
	}
	if sysAdmin {
		names = append(names, "clone")
	}
	p.Syscalls = append(p.Syscalls, specs.LinuxSyscall{Names: names, Action: specs.ActAllow})
	if !sysAdmin {
		p.Syscalls = append(p.Syscalls, specs.LinuxSyscall{
			Names:  []string{"clone"},
			Action: specs.ActAllow,
			Args: []specs.LinuxSeccompArg{{
				Index: 0, Value: cloneNamespaceFlags, ValueTwo: 0, Op: specs.OpMaskedEqual,
			}},
		})
		enosys := uint(errnoENOSYS)
		p.Syscalls = append(p.Syscalls, specs.LinuxSyscall{
			Names: []string{"clone3"}, Action: specs.ActErrno, ErrnoRet: &enosys,
		})
	}
	for _, v := range harmlessPersonalities {
		p.Syscalls = append(p.Syscalls, specs.LinuxSyscall{
			Names:  []string{"personality"},
			Action: specs.ActAllow,
			Args:   []specs.LinuxSeccompArg{{Index: 0, Value: v, Op: specs.OpEqualTo}},
		})
	}
	return p
}
