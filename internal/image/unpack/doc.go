// Package unpack turns an image's layers into committed snapshots, one per
// layer chain ID, so images that share base layers share snapshots.
//
// It streams each compressed blob through decompression into archive.Apply,
// verifying the uncompressed digest (the diffID from the image config) and,
// when the descriptor names one, the compressed digest and size. It owns no
// storage: blobs come from the caller (LayerSource.Open), snapshots from a
// Snapshotter. Missing layers are extracted in parallel, each into its own
// snapshot, and committed in chain order once all succeeded; a failure
// keeps nothing of them.
package unpack
