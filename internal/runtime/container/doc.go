// Package container is the runtime's handle on one container: create, start,
// state, kill and delete, as the OCI runtime-spec's lifecycle describes, with
// the state of each container in a directory under the runtime's root
// (state.json, a lock file, and the exec fifo while it is created).
//
// It is the parent side: it validates the bundle, prepares the cgroup,
// starts the init through the nsenter constructor and drives it with
// initproto. What runs inside the container lives in package bootstrap.
// Commands on one container are serialised by a file lock, so separate
// cais-runtime processes are safe together.
package container
