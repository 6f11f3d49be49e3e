// Package registry pulls images from and pushes them to registries that
// speak the OCI distribution spec (and Docker's v2 API), with the content
// store holding the bytes and the metadata store the image records.
//
// go-containerregistry is used for the protocol only: reference parsing,
// authentication (the Docker keychain: ~/.docker/config.json,
// $DOCKER_CONFIG, credential helpers), the HTTP exchanges and their retries.
// This package decides what to fetch, verifies it into the content store,
// and records the result.
//
// A pull resolves a reference to a manifest or an index (OCI image-spec
// v1.1 and Docker schema 2, including manifest lists; schema 1 is refused),
// picks one platform from an index, and fetches the config and layers that
// the store lacks, a few at a time. Everything fetched is staged in the
// store's ingest area and committed only when all of it has arrived and
// verified, children before parents, so a failed pull leaves the committed
// blobs and the image records as they were.
//
// Manifests, indexes and configs are refused above a size limit (4 MiB by
// default) before they are read into memory. Plain HTTP is used only for
// loopback registries (localhost, 127.0.0.0/8, ::1) and those the caller
// names as insecure, as Docker does.
//
// Non-distributable ("foreign") layers, which the image-spec says should not
// be pushed and may be fetched from their URLs, are neither fetched nor
// pushed unless WithForeignLayers is given; an image whose foreign layers
// are absent is not Runnable. With the option they are fetched from the
// registry by digest (their URLs are not followed) and pushed like others.
//
// Manifests whose config is not an image config (OCI artifacts) are stored
// like images but flagged as not Runnable. Unpacking layers is not this
// package's job.
package registry
