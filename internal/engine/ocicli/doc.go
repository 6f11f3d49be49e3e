// Package ocicli drives an OCI runtime binary (cais-runtime, runc, crun)
// through runc's command-line contract: one method per verb, flags built
// from typed options, JSON outputs decoded into typed values.
//
// It owns nothing but the conversation with the binary: it does not keep
// containers, stdio or state of its own. Every call runs the binary once,
// with the Runtime's global flags (--root, --log, --log-format json,
// --systemd-cgroup) and returns the runtime's own message as an *Error
// when the binary fails, classified with errdefs so callers can use
// errors.Is, and with ExitCode giving the 126/127 convention Docker and
// Podman use for a program that cannot be run.
//
// A Runtime is a plain value and safe for concurrent use.
package ocicli
