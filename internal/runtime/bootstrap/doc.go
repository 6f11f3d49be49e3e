// Package bootstrap is what runs inside a new container before the user's
// program: the init. The nsenter constructor has already put the process in
// its namespaces and cgroup; bootstrap receives its configuration from the
// runtime (initproto), then performs an ordered list of small steps (root
// filesystem, hooks, pivot_root, console, masked paths, hostname, sysctls,
// process attributes, user and capabilities, seccomp), reports ready, waits
// for `start` on the exec fifo and execs the program.
//
// It must run on one locked OS thread: capabilities and several other
// attributes are per thread, and the final execve happens from it.
package bootstrap
