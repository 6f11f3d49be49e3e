// Package snapshots defines Snapshotter, the contract for the filesystems
// containers run on: a tree of snapshots where each committed snapshot is
// one layer on top of its parent, an active snapshot is a writable layer in
// progress, and a view is a read-only look at a committed one.
//
// A Snapshotter hands back []mount.Mount describing how to assemble a
// snapshot; it never mounts anything itself. Implementations live in
// subpackages (overlay); testsuite holds the conformance tests every
// implementation must pass.
package snapshots
