package registry

import (
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Docker's media types, which image-spec does not define.
const (
	DockerManifestList  = "application/vnd.docker.distribution.manifest.list.v2+json"
	DockerManifest      = "application/vnd.docker.distribution.manifest.v2+json"
	DockerConfig        = "application/vnd.docker.container.image.v1+json"
	DockerLayer         = "application/vnd.docker.image.rootfs.diff.tar.gzip"
	DockerForeignLayer  = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
	dockerSchema1       = "application/vnd.docker.distribution.manifest.v1+json"
	dockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws"
)

// The image-spec's non-distributable layer types, deprecated for new images
// (so not produced here) but still met in old ones.
const (
	ociForeign     = "application/vnd.oci.image.layer.nondistributable.v1.tar"
	ociForeignGzip = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
	ociForeignZstd = "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"
)

func isIndex(mt string) bool {
	return mt == ocispec.MediaTypeImageIndex || mt == DockerManifestList
}

func isManifest(mt string) bool {
	return mt == ocispec.MediaTypeImageManifest || mt == DockerManifest
}

func isImageConfig(mt string) bool {
	return mt == ocispec.MediaTypeImageConfig || mt == DockerConfig
}

// LayerCompression names how a layer the unpacker can apply is compressed:
// "gzip", "zstd" or "" (plain tar). ok is false for media types that are
// not image layers.
func LayerCompression(mt string) (compression string, ok bool) {
	switch mt {
	case ocispec.MediaTypeImageLayer, ociForeign:
		return "", true
	case ocispec.MediaTypeImageLayerGzip, ociForeignGzip, DockerLayer, DockerForeignLayer:
		return "gzip", true
	case ocispec.MediaTypeImageLayerZstd, ociForeignZstd:
		return "zstd", true
	}
	return "", false
}

// IsForeign reports whether a layer is non-distributable.
func IsForeign(mt string) bool {
	switch mt {
	case DockerForeignLayer, ociForeign,
		ociForeignGzip, ociForeignZstd:
		return true
	}
	return false
}
