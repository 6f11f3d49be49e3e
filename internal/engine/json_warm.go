package engine

import (
	"encoding/json"

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
// Only types the command encodes anyway are warmed: warming the image
// types the lookup decodes would build encoders never used, extra CPU.
func warmRecordEncoders() {
	go func() {
		_, _ = json.Marshal(&Container{})
		_, _ = json.Marshal(&specs.Spec{})
	}()
}
