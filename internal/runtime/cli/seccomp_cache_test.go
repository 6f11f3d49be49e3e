package cli_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/fnv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// cacheEntries returns the names and contents of the compiled seccomp
// programs the runtime keeps under its root.
func cacheEntries(t *testing.T, r *rt) map[string][]byte {
	t.Helper()
	dir := filepath.Join(r.root, ".seccomp")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("seccomp cache: %v", err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

// TestSeccompCacheAcrossStarts starts containers with the same profile
// again and again: the first start stores the compiled filter under the
// runtime's root, later ones (and exec) load it from there, a corrupt entry
// is replaced, and list never takes the cache for a container.
func TestSeccompCacheAcrossStarts(t *testing.T) {
	r := newRT(t)
	denyMkdir := func(errno uint) func(*specs.Spec) {
		return func(s *specs.Spec) {
			s.Linux.Seccomp = &specs.LinuxSeccomp{
				DefaultAction: specs.ActAllow,
				Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
				Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno, ErrnoRet: &errno}},
			}
		}
	}
	const (
		eperm  = "mkdir: can't create directory '/x': Operation not permitted\n"
		enospc = "mkdir: can't create directory '/x': No space left on device\n"
	)
	bundleA := r.bundle("exec 2>&1; mkdir /x", denyMkdir(1))
	bundleB := r.bundle("exec 2>&1; mkdir /x", denyMkdir(28))
	start := func(what, bundle, want string) {
		t.Helper()
		res := r.run("run", "--bundle", bundle, r.name)
		if res.stdout != want || res.code != 1 {
			t.Fatalf("%s: exit %d, output %q; want exit 1, %q (stderr %s)", what, res.code, res.stdout, want, res.stderr)
		}
	}

	start("first start", bundleA, eperm)
	entries := cacheEntries(t, r)
	if len(entries) != 1 {
		t.Fatalf("cache after the first start holds %d entries, want 1", len(entries))
	}
	var keyA string
	var entryA []byte
	for k, v := range entries {
		keyA, entryA = k, v
	}
	start("second start", bundleA, eperm)
	if got := cacheEntries(t, r); len(got) != 1 || !bytes.Equal(got[keyA], entryA) {
		t.Fatalf("second start changed the cache: %d entries", len(got))
	}
	if out := r.must("list", "-q"); out != "" {
		t.Fatalf("list -q with no containers printed %q", out)
	}

	// The start really reads the entry: give profile A an intact entry
	// that holds A's identity and B's program, and its container gets
	// ENOSPC.
	start("profile B", bundleB, enospc)
	entries = cacheEntries(t, r)
	if len(entries) != 2 {
		t.Fatalf("cache holds %d entries after two profiles, want 2", len(entries))
	}
	pathA := filepath.Join(r.root, ".seccomp", keyA)
	var entryB []byte
	for k, v := range entries {
		if k != keyA {
			entryB = v
		}
	}
	forged := withProgramOf(t, entryA, entryB)
	if err := os.WriteFile(pathA, forged, 0o600); err != nil {
		t.Fatal(err)
	}
	start("profile A with B's program", bundleA, enospc)

	// B's own entry under A's key (what a key collision looks like) is
	// not A's: the start compiles A's filter and rewrites the entry.
	if err := os.WriteFile(pathA, entryB, 0o600); err != nil {
		t.Fatal(err)
	}
	start("profile A with B's entry", bundleA, eperm)
	if got := cacheEntries(t, r); !bytes.Equal(got[keyA], entryA) {
		t.Fatalf("B's entry under A's key not replaced")
	}

	// A corrupt entry is ignored: the container gets the right filter
	// and the entry is written again.
	if err := os.WriteFile(pathA, []byte("garbage, not a compiled filter"), 0o600); err != nil {
		t.Fatal(err)
	}
	start("start after corruption", bundleA, eperm)
	if got := cacheEntries(t, r); !bytes.Equal(got[keyA], entryA) {
		t.Fatalf("corrupt entry not rewritten: %q", got[keyA])
	}

	// exec gets the container's filter, and it too reads the cache.
	r.must("run", "--detach", "--bundle", r.bundle("exec sleep 300", denyMkdir(1)), r.name)
	exec := func(want string) {
		t.Helper()
		res := r.run("exec", r.name, "sh", "-c", "exec 2>&1; mkdir /x")
		if res.stdout != want || res.code != 1 {
			t.Fatalf("exec: exit %d, output %q; want exit 1, %q (stderr %s)", res.code, res.stdout, want, res.stderr)
		}
	}
	exec(eperm)
	if err := os.WriteFile(pathA, forged, 0o600); err != nil {
		t.Fatal(err)
	}
	exec(enospc)
	if err := os.WriteFile(pathA, entryB, 0o600); err != nil {
		t.Fatal(err)
	}
	exec(eperm)
	if out := r.must("list", "-q"); out != r.name+"\n" {
		t.Fatalf("list -q = %q, want only %s", out, r.name)
	}
}

// TestSeccompCacheBadProfile checks a bad profile is reported by the
// runtime itself, in the same words as before the cache existed, and
// leaves neither a container nor a cache entry behind.
func TestSeccompCacheBadProfile(t *testing.T) {
	r := newRT(t)
	b := r.bundle("true", func(s *specs.Spec) {
		s.Linux.Seccomp = &specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow,
			Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: "SCMP_ACT_BOGUS"}},
		}
	})
	res := r.run("run", "--bundle", b, r.name)
	const want = `linux.seccomp.syscalls[0].action: unknown action "SCMP_ACT_BOGUS"`
	if res.code == 0 || strings.TrimSpace(res.stderr) != want {
		t.Fatalf("exit %d, stderr %q; want a failure saying %q", res.code, res.stderr, want)
	}
	if r.stateDirExists() {
		t.Error("a bad profile left the container's state directory")
	}
	if _, err := os.Stat(filepath.Join(r.root, ".seccomp")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a bad profile created the seccomp cache: %v", err)
	}
}

// withProgramOf returns an intact cache entry with the identity of entry a
// and the program of entry b. An entry is magic (8 bytes), a 128-bit
// FNV-1a of the payload, then the payload: identity length (uint32),
// identity, then the program.
func withProgramOf(t *testing.T, a, b []byte) []byte {
	t.Helper()
	const header = 8 + 16
	identEnd := func(e []byte) int {
		if len(e) < header+4 {
			t.Fatalf("entry of %d bytes", len(e))
		}
		return header + 4 + int(binary.LittleEndian.Uint32(e[header:]))
	}
	payload := append(bytes.Clone(a[header:identEnd(a)]), b[identEnd(b):]...)
	h := fnv.New128a()
	h.Write(payload)
	out := append(bytes.Clone(a[:8]), h.Sum(nil)...)
	return append(out, payload...)
}
