// Package process applies the process-wide attributes of an OCI
// config.json's "process" to the calling process, just before it execs the
// user's program: rlimits, scheduler, I/O priority, personality, the user
// and groups, and finding the program in the container's PATH. Capabilities,
// seccomp and the terminal have packages of their own.
//
// Validation (Parse* functions) is pure and also runs in the runtime's
// parent process, so bad input is refused before a container exists.
package process
