package fsutil

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFileReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.json")
	if err := WriteFile(p, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	fi, _ := os.Stat(p)
	if err != nil || string(b) != "two" || fi.Mode().Perm() != 0o644 {
		t.Fatalf("content %q mode %v err %v; want two, 0644", b, fi.Mode(), err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d entries in the directory, want only the file (no temp left)", len(ents))
	}
	// A directory that is not there: an error naming the path, nothing made.
	if err := WriteFile(filepath.Join(dir, "no", "f"), nil, 0o600); err == nil {
		t.Error("WriteFile into a missing directory succeeded")
	}
}

func TestLockExcludesOtherOpenFiles(t *testing.T) {
	p := filepath.Join(t.TempDir(), "lock")
	unlock, err := Lock(p, true)
	if err != nil {
		t.Fatal(err)
	}
	// flock locks belong to open files: a second open in this process
	// conflicts as another process's would.
	if _, ok, err := TryLock(p, false); ok || err != nil {
		t.Fatalf("TryLock shared while held exclusively: ok %v err %v, want refused", ok, err)
	}
	unlock()
	u1, ok1, _ := TryLock(p, false)
	u2, ok2, _ := TryLock(p, false)
	if !ok1 || !ok2 {
		t.Fatalf("two shared TryLocks: %v %v, want both held", ok1, ok2)
	}
	if _, ok, _ := TryLock(p, true); ok {
		t.Error("TryLock exclusive while shared locks are held succeeded")
	}
	u1()
	u2()
	u3, ok3, err := TryLock(p, true)
	if !ok3 || err != nil {
		t.Fatalf("TryLock exclusive when free: %v %v", ok3, err)
	}
	u3()
}
