// Package hooks runs OCI lifecycle hooks (prestart, createRuntime,
// createContainer, startContainer, poststart, poststop) the way
// runtime-spec config.md "POSIX-platform Hooks" describes: each hook is a
// program started with exactly its configured path, argv and environment,
// reading the container's state JSON on stdin, killed with its process
// group when its timeout expires.
//
// The package does not decide when a hook kind runs or in which namespace;
// the container lifecycle code calls Run or RunAll at the right moment.
package hooks
