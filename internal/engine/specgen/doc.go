// Package specgen turns an image's configuration and the options of `cais
// run` into the OCI runtime spec of a new container, with Docker's
// defaults: the default capability set, masked and read-only paths, the
// standard mounts, namespaces, the device cgroup allow list, the process's
// arguments, environment and user, and the resource limits.
//
// The package is pure: it computes a *specs.Spec and performs no side
// effects. The only files it reads are the ones its caller names: the
// rootfs' /etc/passwd and /etc/group (to resolve a user), a seccomp profile
// given as "seccomp=<file>", and the host device nodes given with --device
// (stat only). Writing config.json, creating the per-container hosts,
// resolv.conf and hostname files, and setting up the network namespace are
// the caller's job.
//
// It does not own Docker's default seccomp profile: the caller passes the
// profile to apply by default in Options.Seccomp (nil means none).
package specgen
