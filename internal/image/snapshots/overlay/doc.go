// Package overlay is the overlayfs Snapshotter.
//
// Layout under the root directory it is given:
//
//	metadata.db              bbolt: one record per snapshot (id, kind,
//	                         parent name, labels, times, usage at commit)
//	snapshots/<id>/fs        the snapshot's own layer (an overlay upper dir)
//	snapshots/<id>/work      overlayfs' work dir for an active snapshot
//
// Ids are small decimal numbers allocated by the database, so layer paths
// stay short. A committed snapshot is named by its caller; the image
// unpacker names layers by chain ID so images share them.
//
// Mounts: a snapshot without parent is a bind mount of its fs dir; a view
// of one parent is a read-only bind of the parent's fs; otherwise an
// "overlay" mount whose options end with lowerdir= listing the parents' fs
// dirs, nearest first, as absolute paths.
//
// Deep chains: mount(2) takes at most one page (4096 bytes) of options, so
// with absolute paths a chain of about 80-100 layers no longer fits. The
// snapshotter does not shorten paths with per-process tricks; a mounter
// must do one of: (a) the new mount API with one fsconfig "lowerdir+" per
// layer (Linux 6.8+; fsconfig strings are limited to 256 bytes, so a long
// lowerdir= must be split anyway), or (b) mount(2) from a thread whose
// working directory is the lowerdirs' common parent (<root>/snapshots),
// with relative "<id>/fs" paths: unshare(CLONE_FS) on a locked OS thread,
// fchdir, mount. testsuite.Mount does (b); with short numeric ids 130
// layers take about 1 KiB.
//
// One process at a time: the database is opened with an exclusive lock,
// and New waits up to a few seconds for another process to close it.
// Within a process all methods are safe for concurrent use.
package overlay
