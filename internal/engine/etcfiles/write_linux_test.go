package etcfiles

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/testgate"
)

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

func TestWriteInPlaceKeepsInode(t *testing.T) {
	p := filepath.Join(t.TempDir(), "hosts")
	if err := WriteInPlace(p, []byte("a much longer first content\n")); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil || st.Mode().Perm()&0o444 != 0o444 {
		t.Fatalf("created file: %v %v, want readable by all", st, err)
	}
	ino := inode(t, p)
	if err := WriteInPlace(p, []byte("short\n")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != "short\n" {
		t.Fatalf("content %q, want the short one without the old tail", got)
	}
	if inode(t, p) != ino {
		t.Fatal("inode changed")
	}
}

func TestWriteInPlaceRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("keep\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := WriteInPlace(link, []byte("x\n")); err == nil {
		t.Fatal("wrote through a symlink")
	}
	if got, _ := os.ReadFile(target); string(got) != "keep\n" {
		t.Fatalf("target changed to %q", got)
	}
}

// Writers of different lengths race; a reader holding the shared lock must
// only ever see one whole payload. Without the writers' lock a long write
// truncated by a short one's racing truncate (or the reverse) shows up.
func TestWriteInPlaceConcurrentWritersSerialize(t *testing.T) {
	p := filepath.Join(t.TempDir(), "resolv.conf")
	payloads := map[string]bool{}
	var list [][]byte
	for i := range 6 {
		b := bytes.Repeat([]byte(fmt.Sprintf("nameserver 10.0.0.%d\n", i)), 1+i*40)
		payloads[string(b)] = true
		list = append(list, b)
	}
	if err := WriteInPlace(p, list[0]); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for _, b := range list {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				if err := WriteInPlace(p, b); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	torn := 0
	go func() {
		defer close(done)
		for range 2000 {
			f, err := os.Open(p)
			if err != nil {
				errs <- err
				return
			}
			if err := unix.Flock(int(f.Fd()), unix.LOCK_SH); err != nil {
				errs <- err
			}
			b, _ := os.ReadFile(p)
			f.Close()
			if !payloads[string(b)] {
				torn++
			}
		}
	}()
	wg.Wait()
	<-done
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if torn > 0 {
		t.Errorf("%d reads under the lock saw a torn file", torn)
	}
	if got, _ := os.ReadFile(p); !payloads[string(got)] {
		t.Errorf("final content is torn (%d bytes)", len(got))
	}
}

// A bind mount of the file (what a container has at /etc/hosts) sees the
// new contents.
func TestWriteInPlaceSeenThroughBindMount(t *testing.T) {
	testgate.Root(t)
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "hosts"), filepath.Join(dir, "mounted")
	if err := WriteInPlace(src, []byte("127.0.0.1\tlocalhost\n")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount(src, dst, "", unix.MS_BIND, ""); err != nil {
		t.Fatalf("bind mount: %v", err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dst, unix.MNT_DETACH); err != nil {
			t.Errorf("unmount: %v", err)
		}
	})
	want := "127.0.0.1\tlocalhost\n10.0.0.7\tweb\n"
	if err := WriteInPlace(src, []byte(want)); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dst); string(got) != want {
		t.Fatalf("bind mount sees %q, want %q", got, want)
	}
}
