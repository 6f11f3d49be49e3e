package volume

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/testgate"
)

func TestCreateGetListRemove(t *testing.T) {
	s := New(t.TempDir())
	v, created, err := s.Create(CreateOptions{Name: "data", Labels: map[string]string{"a": "b"}})
	if err != nil || !created {
		t.Fatalf("create: %v, created %v", err, created)
	}
	if v.Driver != DriverLocal || v.Mountpoint != filepath.Join(s.root, "data", "_data") || v.CreatedAt.IsZero() {
		t.Errorf("created volume: %+v", v)
	}
	if st, err := os.Stat(v.Mountpoint); err != nil || !st.IsDir() {
		t.Errorf("mountpoint: %v", err)
	}
	again, created, err := s.Create(CreateOptions{Name: "data"})
	if err != nil || created || again.Labels["a"] != "b" {
		t.Errorf("create of an existing name: %+v, created %v, %v; want the existing one", again, created, err)
	}
	anon, _, err := s.Create(CreateOptions{Labels: map[string]string{LabelAnonymous: ""}})
	if err != nil || len(anon.Name) != 64 || !anon.Anonymous() {
		t.Fatalf("unnamed volume: %+v, %v; want a 64-hex anonymous one", anon, err)
	}
	vs, err := s.List()
	if err != nil || len(vs) != 2 {
		t.Fatalf("list: %v, %v", vs, err)
	}
	if err := s.Remove("data"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("data"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("get after remove: %v, want not found", err)
	}
	if err := s.Remove("data"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("second remove: %v, want not found", err)
	}
	if _, err := os.Stat(filepath.Join(s.root, "data")); !os.IsNotExist(err) {
		t.Errorf("volume dir left after remove: %v", err)
	}
}

func TestCreateRefusesBadInput(t *testing.T) {
	s := New(t.TempDir())
	for _, o := range []CreateOptions{
		{Name: "a"}, {Name: "bad/name"}, {Name: "-x"}, {Name: ".."},
		{Name: "ok", Driver: "nfs"},
		{Name: "ok", Options: map[string]string{"size": "1m"}},
		{Name: "ok", Options: map[string]string{"type": "tmpfs"}},
		{Name: "ok", Options: map[string]string{"o": "size=1m"}},
	} {
		if _, _, err := s.Create(o); err == nil {
			t.Errorf("create %+v: no error", o)
		}
	}
	if vs, _ := s.List(); len(vs) != 0 {
		t.Errorf("bad creates left %v", vs)
	}
}

// TestConcurrentCreate: many creators of one name (each with its own
// lock file descriptor, as separate processes have) make it exactly once.
func TestConcurrentCreate(t *testing.T) {
	s := New(t.TempDir())
	var wg sync.WaitGroup
	var mu sync.Mutex
	made := 0
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, created, err := s.Create(CreateOptions{Name: "shared"})
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			if created {
				made++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if made != 1 {
		t.Errorf("created %d times, want once", made)
	}
}

func TestPopulateCopiesMetadataOnce(t *testing.T) {
	testgate.Root(t)
	src := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Chmod(src, 0o750))
	must(os.Chown(src, 7, 8))
	must(os.MkdirAll(filepath.Join(src, "sub"), 0o700))
	must(os.WriteFile(filepath.Join(src, "sub", "f"), []byte("hello"), 0o640))
	must(os.Chown(filepath.Join(src, "sub", "f"), 1234, 5678))
	must(unix.Chmod(filepath.Join(src, "sub", "f"), 0o4640))
	must(unix.Lsetxattr(filepath.Join(src, "sub", "f"), "user.k", []byte("v"), 0))
	must(os.Symlink("sub/f", filepath.Join(src, "link")))
	must(os.Link(filepath.Join(src, "sub", "f"), filepath.Join(src, "hard")))

	s := New(t.TempDir())
	v, _, err := s.Create(CreateOptions{Name: "pop"})
	must(err)
	must(s.Populate("pop", src))
	d := v.Mountpoint
	b, err := os.ReadFile(filepath.Join(d, "sub", "f"))
	if err != nil || string(b) != "hello" {
		t.Fatalf("copied file: %q, %v", b, err)
	}
	var st unix.Stat_t
	must(unix.Lstat(filepath.Join(d, "sub", "f"), &st))
	if st.Uid != 1234 || st.Gid != 5678 || st.Mode&07777 != 0o4640 {
		t.Errorf("copied file: uid %d gid %d mode %o, want 1234 5678 4640", st.Uid, st.Gid, st.Mode&07777)
	}
	val := make([]byte, 8)
	if n, err := unix.Lgetxattr(filepath.Join(d, "sub", "f"), "user.k", val); err != nil || string(val[:n]) != "v" {
		t.Errorf("xattr user.k: %q, %v", val[:n], err)
	}
	var hard unix.Stat_t
	must(unix.Lstat(filepath.Join(d, "hard"), &hard))
	if hard.Ino != st.Ino {
		t.Errorf("hard link not kept")
	}
	if to, err := os.Readlink(filepath.Join(d, "link")); err != nil || to != "sub/f" {
		t.Errorf("symlink: %q, %v", to, err)
	}
	must(unix.Lstat(d, &st))
	if st.Uid != 7 || st.Gid != 8 || st.Mode&07777 != 0o750 {
		t.Errorf("data dir: uid %d gid %d mode %o, want the source's 7 8 750", st.Uid, st.Gid, st.Mode&07777)
	}
	// Used once: emptied, it is not filled again.
	must(os.RemoveAll(filepath.Join(d, "sub")))
	must(s.Populate("pop", src))
	if _, err := os.Stat(filepath.Join(d, "sub")); !os.IsNotExist(err) {
		t.Errorf("populated a second time: %v", err)
	}
	// A volume with data of its own is never filled.
	v2, _, err := s.Create(CreateOptions{Name: "own"})
	must(err)
	must(os.WriteFile(filepath.Join(v2.Mountpoint, "mine"), nil, 0o600))
	must(s.Populate("own", src))
	if _, err := os.Stat(filepath.Join(v2.Mountpoint, "sub")); !os.IsNotExist(err) {
		t.Errorf("a non-empty volume was filled: %v", err)
	}
}

// TestTmpfsVolumeMountedWhileUsed: a volume with its own filesystem is
// mounted by its first user and unmounted when the last one goes.
func TestTmpfsVolumeMountedWhileUsed(t *testing.T) {
	testgate.Root(t)
	s := New(t.TempDir())
	v, _, err := s.Create(CreateOptions{Name: "tv", Options: map[string]string{"type": "tmpfs", "device": "tmpfs", "o": "size=1m,nosuid"}})
	if err != nil {
		t.Fatal(err)
	}
	isTmpfs := func() bool {
		var fs unix.Statfs_t
		if err := unix.Statfs(v.Mountpoint, &fs); err != nil {
			t.Fatal(err)
		}
		return fs.Type == unix.TMPFS_MAGIC && fs.Blocks*uint64(fs.Bsize) == 1<<20
	}
	t.Cleanup(func() { unix.Unmount(v.Mountpoint, unix.MNT_DETACH) })
	for _, u := range []string{"c1", "c2"} {
		if _, err := s.Acquire("tv", u); err != nil {
			t.Fatal(err)
		}
	}
	if !isTmpfs() {
		t.Fatal("not a 1 MiB tmpfs after acquire")
	}
	if err := s.Remove("tv"); !errors.Is(err, errdefs.ErrConflict) {
		t.Errorf("remove while acquired: %v, want conflict", err)
	}
	if err := s.Release("tv", "c1"); err != nil || !isTmpfs() {
		t.Fatalf("after one of two releases: %v, still mounted %v", err, isTmpfs())
	}
	if err := s.Release("tv", "c2"); err != nil {
		t.Fatal(err)
	}
	if isTmpfs() {
		t.Error("still mounted after the last release")
	}
	// Mounted afresh, the empty tmpfs is filled again.
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, err := s.Acquire("tv", "c3"); err != nil {
			t.Fatal(err)
		}
		if err := s.Populate("tv", src); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(v.Mountpoint, "f")); err != nil {
			t.Errorf("use %d of the tmpfs volume: not filled: %v", i+1, err)
		}
		if err := s.Release("tv", "c3"); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Remove("tv"); err != nil {
		t.Error(err)
	}
}

func TestParseMountOptions(t *testing.T) {
	flags, data := parseMountOptions("size=3m,ro,nosuid,uid=5,exec")
	if flags != unix.MS_RDONLY|unix.MS_NOSUID || data != "size=3m,uid=5" {
		t.Errorf("got %#x %q", flags, data)
	}
}
