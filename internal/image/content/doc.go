// Package content is cais's content-addressed blob store: the bytes of
// manifests, indexes, configs and layers, each stored once under its digest.
//
// On disk, under a root directory:
//
//	<root>/blobs/<algorithm>/<hex>   committed blobs, read-only (0444)
//	<root>/ingest/<key>/             one partial write: data, ref, lock
//
// A blob becomes visible only when a Writer commits it: the data is verified
// against the expected size and digest, fsynced and renamed into blobs/, so a
// crash never leaves a half blob where readers look. An interrupted write
// leaves its ingest directory behind; the next Writer for the same ref
// resumes from its offset (or truncates to restart). One writer at a time
// holds a ref (a file lock, so this holds across processes too).
//
// The store knows nothing about what blobs mean: parsing manifests, image
// records and garbage collection belong to other packages (metadata,
// registry). sha256 and sha512 digests are supported.
package content
