// Package procwait waits for processes without holding an OS thread in a
// blocking wait. os/exec's Wait sits in waitid(2): the goroutine's P stays
// in a system call, so the Go runtime's sysmon thread keeps polling (every
// 20 µs at first, and again after it retakes the P 10 ms later) instead of
// sleeping. On a virtual machine where every wakeup costs tens of
// microseconds, a process that spends most of its life waiting for
// children (the CLI for the runtime and CNI plugins, the monitor for the
// runtime) pays for those polls in CPU. Here the wait is first done on a
// pidfd through the Go poller, which parks the goroutine; the reaping wait
// that follows returns at once.
package procwait
