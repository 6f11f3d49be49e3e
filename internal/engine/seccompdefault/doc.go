// Package seccompdefault owns cais's default seccomp profile: the filter
// every `cais run` container gets unless it asks for
// `--security-opt seccomp=unconfined` or names a profile file.
//
// The profile is Go data (an allowlist grouped by purpose, plus groups a
// capability unlocks), built fresh for the container's effective
// capabilities by Profile. The package is pure: it reads no files and
// performs no syscalls; the runtime compiles and loads the result.
package seccompdefault
