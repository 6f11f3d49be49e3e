// Package seccomp turns the OCI runtime-spec seccomp section
// (specs.LinuxSeccomp) into a seccomp-bpf filter and installs it, and it
// hands the user-notification listener to a seccomp agent as the spec's
// "listenerPath" protocol describes.
//
// The package owns three steps, in this order:
//
//  1. Compile: validate the configuration and build the filter in memory
//     (libseccomp, through cgo). It has no effect on the calling process, so
//     the runtime calls it in the parent to fail before any container
//     exists, and again in the container's init.
//  2. Filter.Load: install the filter on every thread of the calling
//     process, in the container's init just before execve.
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
