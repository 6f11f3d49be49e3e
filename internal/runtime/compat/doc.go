// Package compat holds the drop-in tests of cais-runtime: they run the real
// engines that drive runc (containerd with ctr, Docker, Podman) on private
// state directories, point them at cais-runtime instead, and check what a
// user of those engines sees (exit codes, exec, signals, pause, stats,
// terminals, resource updates).
//
// The package has no product code. Its tests need root and the engines'
// Debian packages; each engine test is gated on its binaries, starts its
// daemon under t.TempDir() and removes everything it started, so the host's
// own containerd or dockerd (if any) is never touched. Images are built from
// the busybox fixture as a local archive; nothing is pulled.
package compat
