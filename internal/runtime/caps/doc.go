// Package caps owns the Linux capabilities of a container process: it turns
// the five capability sets of an OCI config (process.capabilities) into bit
// masks and applies them to the calling thread just before the container's
// init execs the user's program.
//
// It does not decide which capabilities a container gets (that is the spec
// generator's job), and it does not change uids: ApplyAroundUserChange takes
// the uid change as a function so the order around it stays in one place.
//
// # Threads
//
// Capabilities are per thread in Linux: capset(2) with pid 0 and the
// PR_CAPBSET_DROP, PR_CAP_AMBIENT and PR_SET_KEEPCAPS prctls all act on the
// calling thread only. The caller must therefore run every method of Set on
// one thread locked with runtime.LockOSThread, and exec(2) from that same
// thread right after; the exec'd program then starts from that thread's
// credentials. That per-thread scope is what we want: the rest of the Go
// runtime's threads are discarded by the exec.
//
// # Why x/sys/unix and not github.com/moby/sys/capability
//
// The moby package silently skips the bounding-set drop when CAP_SETPCAP is
// not in the effective set and ignores EINVAL from ambient raises. A runtime
// must fail instead of starting a container with more privilege than its
// config asks for, so this package makes the few syscalls itself (capset and
// four prctls) and returns every error. The name table below is the Linux
// list up to CAP_CHECKPOINT_RESTORE (40); names are checked against it and
// numbers against the running kernel's /proc/sys/kernel/cap_last_cap.
package caps
