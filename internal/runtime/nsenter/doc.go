// Package nsenter puts the process that will run a container into its
// namespaces, before the Go runtime starts.
//
// Why cgo: a Go program is multi-threaded before main runs, and the kernel
// refuses setns into a mount or user namespace, and unshare of a user
// namespace, from a multi-threaded process. So a C constructor (nsenter.c)
// runs first, while the process still has one thread, whenever the binary is
// started with the environment variable _CAIS_NSENTER naming a socket. It
// reads one request (namespaces to join by path, namespaces to create), joins
// and creates them in the order the kernel needs, lets the parent place it
// in the cgroup and write its id maps, forks when a pid or time namespace
// applies only to children, and returns; the Go runtime then starts already
// inside the container's namespaces. This is the only cgo of cais besides
// libseccomp. Without the variable the constructor returns at once.
//
// With the request flag NSENTER_CINIT, the constructor then runs the C init
// (cinit.c): it reads a program compiled by package cinit and carries it out
// up to execve of the container's process, so the Go runtime never starts
// in that process.
//
// The parent side (Request, and the Handshake steps) is plain Go. The wire
// format is documented at the top of nsenter.c; every length is checked on
// both sides.
package nsenter
