package engine

import (
	"encoding/json"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// warmRecordEncoders builds, on its own goroutine, encoding/json's cached
// encoders for the two documents a create writes: the container record
// and the OCI spec. encoding/json reflects over a type's whole graph the
// first time a process encodes it (the runtime-spec types are about a
// hundred structs); in a one-shot CLI that cold build was most of the
// CPU the spec's encoding cost, on the critical path. Started first thing
// in CreateContainer, it overlaps with the image lookup and the record's
// fsync; the cache is safe for concurrent use, so whichever Marshal comes
// first simply finds the work done or shares it. Nothing is written.
//
// The image's manifest and config types go first: the decoder shares the
// per-type field lists (encoding/json's cachedTypeFields) with the
// encoder, and the lookup decodes them right away.
func warmRecordEncoders() {
	go func() {
		_, _ = json.Marshal(&ocispec.Manifest{})
		_, _ = json.Marshal(&ocispec.Image{})
		_, _ = json.Marshal(&Container{})
		_, _ = json.Marshal(&specs.Spec{})
	}()
}
