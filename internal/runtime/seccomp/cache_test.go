package seccomp

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/errdefs"
)

func TestProgramFlags(t *testing.T) {
	const tsync = unix.SECCOMP_FILTER_FLAG_TSYNC
	const listener = unix.SECCOMP_FILTER_FLAG_NEW_LISTENER | unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH
	tests := []struct {
		flags  []specs.LinuxSeccompFlag
		notify bool
		want   uint
	}{
		{nil, false, tsync},
		{[]specs.LinuxSeccompFlag{FlagTSync}, false, tsync},
		{[]specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog}, false, tsync | unix.SECCOMP_FILTER_FLAG_LOG},
		{[]specs.LinuxSeccompFlag{specs.LinuxSeccompFlagSpecAllow}, false, tsync | unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW},
		{[]specs.LinuxSeccompFlag{specs.LinuxSeccompFlagWaitKillableRecv}, true, tsync | listener | unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
		{nil, true, tsync | listener},
		{[]specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog, specs.LinuxSeccompFlagSpecAllow}, false,
			tsync | unix.SECCOMP_FILTER_FLAG_LOG | unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW},
	}
	for _, tt := range tests {
		if got := programFlags(tt.flags, tt.notify); got != tt.want {
			t.Errorf("programFlags(%v, %v) = %#x, want %#x", tt.flags, tt.notify, got, tt.want)
		}
	}
}

// TestCompileProgramFlags checks the flags of a profile reach the Program.
func TestCompileProgramFlags(t *testing.T) {
	cfg := allowDefault(specs.LinuxSyscall{Names: []string{"mkdir"}, Action: specs.ActErrno})
	cfg.Flags = []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog, specs.LinuxSeccompFlagSpecAllow}
	p, err := CompileProgram(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := uint(unix.SECCOMP_FILTER_FLAG_TSYNC | unix.SECCOMP_FILTER_FLAG_LOG | unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW)
	if p.Flags != want || p.Notify {
		t.Errorf("flags %#x notify %v, want %#x false", p.Flags, p.Notify, want)
	}
	if len(p.BPF) == 0 || len(p.BPF)%bpfInsnSize != 0 {
		t.Errorf("BPF of %d bytes", len(p.BPF))
	}
	cfg.Syscalls[0].Action = specs.ActNotify
	cfg.ListenerPath = "/nonexistent/agent.sock"
	if p, err = CompileProgram(&cfg); err != nil {
		t.Fatal(err)
	}
	if !p.Notify || p.Flags&unix.SECCOMP_FILTER_FLAG_NEW_LISTENER == 0 {
		t.Errorf("notifying profile: flags %#x notify %v", p.Flags, p.Notify)
	}
}

func TestCacheEntryEncoding(t *testing.T) {
	p := &Program{BPF: bytes.Repeat([]byte{1, 2, 3, 4, 5, 6, 7, 8}, 5), Flags: 0x13, Notify: true}
	ident := []byte("identity\x00{}")
	b := encodeEntry(ident, p)
	got, err := decodeEntry(b, ident)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	for n := 0; n < len(b); n++ {
		if _, err := decodeEntry(b[:n], ident); err == nil {
			t.Errorf("entry truncated to %d of %d bytes decoded", n, len(b))
		}
	}
	for i := range b {
		bad := bytes.Clone(b)
		bad[i] ^= 0x40
		if _, err := decodeEntry(bad, ident); err == nil {
			t.Errorf("entry with byte %d changed decoded", i)
		}
	}
}

func cacheFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestCache(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".seccomp")
	c := NewCache(dir)
	eperm := allowDefault(specs.LinuxSyscall{Names: []string{"mkdir"}, Action: specs.ActErrno, ErrnoRet: uintPtr(1)})
	enospc := allowDefault(specs.LinuxSyscall{Names: []string{"mkdir"}, Action: specs.ActErrno, ErrnoRet: uintPtr(28)})

	first, err := c.Program(&eperm)
	if err != nil {
		t.Fatal(err)
	}
	names := cacheFiles(t, dir)
	if len(names) != 1 {
		t.Fatalf("cache holds %v after one miss, want one entry", names)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("cache directory: %v %v, want mode 0700", fi.Mode(), err)
	}
	entry := filepath.Join(dir, names[0])
	again, err := c.Program(&eperm)
	if err != nil || !cmp.Equal(first, again) {
		t.Fatalf("second lookup: %v, program equal: %v", err, cmp.Equal(first, again))
	}

	// A valid entry of another program under this profile's key is used
	// as it is: the lookup reads the file.
	other, err := CompileProgram(&enospc)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(other.BPF, first.BPF) {
		t.Fatal("EPERM and ENOSPC profiles compile to the same BPF")
	}
	epermIdent, err := cacheIdentity(&eperm)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(entry, encodeEntry(epermIdent, other), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Program(&eperm); !cmp.Equal(got, other) {
		t.Fatal("lookup did not return the cached entry")
	}

	// Garbage, a truncated entry and an unreadable one (a directory) are
	// ignored and replaced.
	good := encodeEntry(epermIdent, first)
	for _, corrupt := range []func() error{
		func() error { return os.WriteFile(entry, []byte("garbage"), 0o600) },
		func() error { return os.WriteFile(entry, good[:len(good)-8], 0o600) },
		func() error { os.Remove(entry); return os.Mkdir(entry, 0o700) },
	} {
		if err := corrupt(); err != nil {
			t.Fatal(err)
		}
		got, err := c.Program(&eperm)
		if err != nil || !cmp.Equal(got, first) {
			t.Fatalf("after corruption: %v, program equal: %v", err, cmp.Equal(got, first))
		}
		if b, err := os.ReadFile(entry); !bytes.Equal(b, good) {
			t.Errorf("entry not rewritten after corruption: %v", err)
		}
	}
}

// TestCacheCollisionIsAMiss: the key is a fast non-cryptographic hash, so
// an intact entry under a profile's key may hold another profile's program
// (a collision, or a file put there). The lookup compares the identity the
// entry stores with the request's: a mismatch compiles the profile asked
// for and replaces the entry, never loads the other program.
func TestCacheCollisionIsAMiss(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".seccomp")
	c := NewCache(dir)
	eperm := allowDefault(specs.LinuxSyscall{Names: []string{"mkdir"}, Action: specs.ActErrno, ErrnoRet: uintPtr(1)})
	enospc := allowDefault(specs.LinuxSyscall{Names: []string{"mkdir"}, Action: specs.ActErrno, ErrnoRet: uintPtr(28)})
	want, err := CompileProgram(&eperm)
	if err != nil {
		t.Fatal(err)
	}
	other, err := CompileProgram(&enospc)
	if err != nil {
		t.Fatal(err)
	}
	epermIdent, err := cacheIdentity(&eperm)
	if err != nil {
		t.Fatal(err)
	}
	enospcIdent, err := cacheIdentity(&enospc)
	if err != nil {
		t.Fatal(err)
	}
	// Identities that differ in one byte, or only in length, are others.
	for name, ident := range map[string][]byte{
		"another profile":     enospcIdent,
		"one byte changed":    append(bytes.Clone(epermIdent[:len(epermIdent)-1]), epermIdent[len(epermIdent)-1]^1),
		"a prefix":            epermIdent[:len(epermIdent)-1],
		"a byte more":         append(bytes.Clone(epermIdent), ' '),
		"another binary's ID": bytes.Replace(epermIdent, []byte(binaryID()), []byte(strings.Repeat("x", len(binaryID()))), 1),
	} {
		t.Run(name, func(t *testing.T) {
			if bytes.Equal(ident, epermIdent) {
				t.Fatal("test identity equals the request's")
			}
			key, err := cacheKey(&eperm)
			if err != nil {
				t.Fatal(err)
			}
			os.MkdirAll(dir, 0o700)
			entry := filepath.Join(dir, key)
			if err := os.WriteFile(entry, encodeEntry(ident, other), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := c.Program(&eperm)
			if err != nil {
				t.Fatal(err)
			}
			if !cmp.Equal(got, want) {
				t.Fatalf("lookup returned the colliding entry's program, not a compiled one")
			}
			if b, err := os.ReadFile(entry); err != nil || !bytes.Equal(b, encodeEntry(epermIdent, want)) {
				t.Errorf("the colliding entry was not replaced by the request's (%v)", err)
			}
		})
	}
}

func TestCacheRejectsBadProfileLikeValidate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".seccomp")
	bad := &specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_BOGUS"}
	want := Validate(bad)
	_, err := NewCache(dir).Program(bad)
	if err == nil || err.Error() != want.Error() || !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("Program() error = %v, want %v", err, want)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a bad profile created the cache directory: %v", err)
	}
}

func TestCacheBounded(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().Add(-time.Hour)
	for i := 0; i < MaxCacheEntries+5; i++ {
		name := filepath.Join(dir, fmt.Sprintf("old-%02d", i))
		if err := os.WriteFile(name, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		at := old.Add(time.Duration(i) * time.Second)
		os.Chtimes(name, at, at)
	}
	cfg := allowDefault(specs.LinuxSyscall{Names: []string{"mkdir"}, Action: specs.ActErrno})
	if _, err := NewCache(dir).Program(&cfg); err != nil {
		t.Fatal(err)
	}
	names := cacheFiles(t, dir)
	if len(names) != MaxCacheEntries {
		t.Fatalf("%d entries after a write, want %d", len(names), MaxCacheEntries)
	}
	key, err := cacheKey(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{"old-00", "old-05"} {
		if _, err := os.Stat(filepath.Join(dir, gone)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("oldest entry %s kept: %v", gone, err)
		}
	}
	for _, kept := range []string{"old-06", "old-68", key} {
		if _, err := os.Stat(filepath.Join(dir, kept)); err != nil {
			t.Errorf("entry %s: %v", kept, err)
		}
	}
}

// TestCacheKeyCoversTheBinary checks the key names the running build, so a
// rebuilt runtime compiles again rather than trust an older Compile.
func TestCacheKeyCoversTheBinary(t *testing.T) {
	f, err := elf.Open("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sec := f.Section(".note.go.buildid")
	if sec == nil {
		t.Fatal("the test binary has no Go build ID note")
	}
	note, err := sec.Data()
	if err != nil {
		t.Fatal(err)
	}
	// namesz, descsz, type, "Go\0\0", then the ID.
	descsz := binary.LittleEndian.Uint32(note[4:])
	want := "go:" + string(note[16:16+descsz])
	if id := binaryID(); id != want {
		t.Errorf("binaryID() = %q, want the Go build ID %q", id, want)
	}
	if goBuildID([]byte("\x04\x00\x00\x00\x09\x00\x00\x00\x04\x00\x00\x00Go\x00\x00short")) != "" {
		t.Error("goBuildID read past the end of the bytes")
	}
	if id := goBuildID(make([]byte, 4096)); id != "" {
		t.Errorf("goBuildID of zeros = %q", id)
	}
}
