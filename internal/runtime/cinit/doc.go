// Package cinit compiles a container's init configuration into the program
// the C init runs (internal/runtime/nsenter/cinit.c), so that most
// containers start without a Go runtime booting in their init: on this
// project's test machine that boot costs about 10 ms of a 50 ms
// `cais-runtime run`.
//
// The program is a flat list of ops, each doing one step of the Go init
// (package bootstrap) in the same order with the same checks; the rootfs
// plan, capabilities, rlimits and seccomp filter are all decided here, in
// the runtime process, and the C side only performs system calls. Usable
// says which configurations the C init covers; the others (a terminal,
// hooks run inside the container, user namespaces, seccomp notify,
// personality, scheduler, I/O priority, LSM labels) keep the Go init, and
// so does every container when CAIS_GO_INIT=1 is set in the runtime's
// environment (tests use it to exercise both).
package cinit
