package seccomp

import (
	"encoding/json"
	"os"
	"runtime"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// BenchmarkCompilePodmanProfile measures what the parent and the init each
// pay per container for a Docker-sized profile.
func BenchmarkCompilePodmanProfile(b *testing.B) {
	data, err := os.ReadFile(podmanProfile)
	if err != nil {
		b.Skip(err)
	}
	var dp dockerProfile
	if err := json.Unmarshal(data, &dp); err != nil {
		b.Fatal(err)
	}
	profile, err := dp.toOCI(specs.ArchX86_64, runtime.GOARCH, podmanCaps)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Compile(&profile); err != nil {
			b.Fatal(err)
		}
	}
}
