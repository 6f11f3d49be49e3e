// Package seccomp turns the OCI runtime-spec seccomp section
// (specs.LinuxSeccomp) into a seccomp-bpf filter and installs it, and it
// hands the user-notification listener to a seccomp agent as the spec's
// "listenerPath" protocol describes.
//
// The package owns three steps, in this order:
//
//  1. Compile: validate the configuration and build the filter in memory
//     (libseccomp, through cgo), and Filter.Program: export it as data (BPF
//     and seccomp(2) flags). Neither affects the calling process, so the
//     runtime's parent does both, through a Cache of Programs in a
//     directory, and fails before any container exists.
//  2. Program.Load: install the program on every thread of the calling
//     process with seccomp(2), in the container's init just before execve
//     (Filter.Load does the same through libseccomp).
//  3. SendListener: when the filter uses SCMP_ACT_NOTIFY, pass the listener
//     fd returned by Load to the agent at listenerPath.
//
// It does not set no_new_privs (the caller decides, with prctl, before
// Load), does not generate default profiles, and does not act as a seccomp
// agent.
//
// This package needs cgo and libseccomp >= 2.5 (Debian's libseccomp-dev);
// the static libseccomp.a links into a statically built cais-runtime.
package seccomp
