// Package transfer moves images between cais's stores and files: Save
// writes images as a docker-archive or an OCI image layout tarball, Load
// reads either kind (and the older docker save layout) back, and Import
// turns a root filesystem (a tarball or a directory) into a one-layer image,
// as docker import does.
//
// Everything streams: a layer passes through once, in fixed-size buffers,
// never whole in memory. Only the small JSON documents of an archive
// (manifest.json, index.json, manifests and configs) are held, each under a
// size limit.
//
// Load treats its input as hostile. Entries must be plain files or
// directories with clean relative names; blobs are hashed while they are
// read and must match the digest their path names; every blob an image
// refers to must be in the archive or already in the store. Nothing is
// committed (no blob, no image record) until the whole archive has been
// read and checked, so a refused archive leaves the store as it was (its
// partial writes are dropped from the ingest area).
//
// The package does not unpack layers into snapshots (that is unpack's job)
// and does not talk to registries (registry's).
package transfer
