// Package archive applies OCI image layers (tar streams) to directories and
// produces layer tars from overlayfs upper directories.
//
// Apply is the only code that turns untrusted layer bytes into files, so it
// owns the safety rules: every entry is created with *at system calls
// relative to a directory handle that was resolved inside the target with
// openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS), names with ".." are refused,
// a leading "/" is dropped (as Docker does), and no path component may be a
// symlink. OCI whiteouts become overlayfs whiteouts (the default, for an
// overlay upper directory) or deletions (Flatten, for a plain directory).
// ParallelFiles lets small files be written by worker goroutines under the
// same rules and with the same result as in order; CollectImplicitDirs and
// InheritDirAttrs serve layers extracted before the layers below exist.
//
// Decompress detects gzip and zstd by magic bytes and streams. Diff turns an
// overlay upper directory back into an OCI layer tar.
//
// The package does not mount, does not know about snapshots or content
// stores, and does not verify digests: callers hash the streams they pass.
package archive
