package cli_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunSeccompCacheShared runs two containers with the default profile:
// the runtime compiles it once, under its root in the runroot, and the
// second container loads the cached filter; a corrupt entry is replaced and
// the container still gets the filter.
func TestRunSeccompCacheShared(t *testing.T) {
	e, name := runEnv(t)
	cache := filepath.Join(e.runRoot, "runtime", "cais-runtime", ".seccomp")
	run := func(what string) {
		t.Helper()
		r := e.run("run", "--rm", "--name", name, "--network", "none", "busybox:test",
			"sh", "-c", "grep Seccomp: /proc/self/status; unshare -U true")
		if r.code == 0 || !strings.Contains(r.stdout+r.stderr, "Seccomp:\t2") || !strings.Contains(r.stderr, "Operation not permitted") {
			t.Fatalf("%s: code %d, stdout %q stderr %q; want filter mode 2 and unshare refused", what, r.code, r.stdout, r.stderr)
		}
	}
	entries := func() map[string][]byte {
		t.Helper()
		ents, err := os.ReadDir(cache)
		if err != nil {
			t.Fatalf("runtime's seccomp cache: %v", err)
		}
		out := map[string][]byte{}
		for _, ent := range ents {
			b, err := os.ReadFile(filepath.Join(cache, ent.Name()))
			if err != nil {
				t.Fatal(err)
			}
			out[ent.Name()] = b
		}
		return out
	}

	run("first run")
	first := entries()
	if len(first) != 1 {
		t.Fatalf("cache after one run holds %d entries, want 1", len(first))
	}
	run("second run")
	second := entries()
	for k, v := range first {
		if len(second) != 1 || !bytes.Equal(second[k], v) {
			t.Fatalf("second run changed the cache (%d entries)", len(second))
		}
		if err := os.WriteFile(filepath.Join(cache, k), []byte("not a filter"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	run("run after corruption")
	for k, v := range entries() {
		if !bytes.Equal(first[k], v) {
			t.Fatalf("entry %s not rewritten after corruption", k)
		}
	}
}
