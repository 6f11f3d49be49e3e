package archive_test

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cais-project/cais/internal/image/archive"
	"github.com/cais-project/cais/internal/testgate"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

var (
	t1 = time.Date(2020, 1, 2, 3, 4, 5, 600, time.UTC)
	t2 = time.Date(2021, 6, 7, 8, 9, 10, 0, time.UTC)
)

func apply(t *testing.T, dir string, data []byte, opts ...archive.Option) error {
	t.Helper()
	n, err := archive.Apply(context.Background(), dir, bytes.NewReader(data), opts...)
	if err == nil && n != int64(len(data)) {
		t.Errorf("Apply read %d bytes, the tar has %d", n, len(data))
	}
	return err
}

// TestApplyEntries checks that every entry type arrives with its type,
// owner, mode, content, link target, device numbers, xattrs and times.
func TestApplyEntries(t *testing.T) {
	testgate.Root(t)
	withOwner := func(e entry, uid, gid int) entry { e.hdr.Uid, e.hdr.Gid = uid, gid; return e }
	withTime := func(e entry, mt time.Time) entry { e.hdr.ModTime = mt; return e }
	withXattr := func(e entry, k, v string) entry {
		e.hdr.PAXRecords = map[string]string{"SCHILY.xattr." + k: v}
		return e
	}
	dev := func(typ byte, name string, major, minor int64) entry {
		return entry{hdr: tar.Header{Typeflag: typ, Name: name, Mode: 0o640, Devmajor: major, Devminor: minor, ModTime: t1}}
	}
	data := layer(t,
		withTime(dir("etc/", 0o755), t2),
		withTime(withOwner(reg("etc/passwd", "root:x:0:0\n", 0o644), 0, 0), t1),
		withTime(withOwner(reg("/etc/shadow", "secret", 0o640), 0, 42), t1), // leading / is dropped
		withTime(reg("./etc/setuid", "x", 0o4755), t1),
		withTime(withOwner(dir("tmp", 0o1777), 0, 0), t2),
		withTime(reg("etc/setgid", "x", 0o2711), t1),
		withTime(withOwner(symlink("etc/link", "../tmp/nowhere"), 1000, 1001), t1),
		withTime(hardlink("etc/hard", "etc/passwd"), t1),
		withTime(dev(tar.TypeChar, "dev/null", 1, 3), t1),
		withTime(dev(tar.TypeBlock, "dev/loop9", 7, 9), t1),
		withTime(dev(tar.TypeFifo, "dev/fifo", 0, 0), t1),
		withTime(withXattr(reg("cap", "c", 0o755), "security.capability", "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), t1),
		withTime(withXattr(reg("user", "u", 0o600), "user.test", "v"), t1),
		withTime(withXattr(dir("xdir", 0o755), "trusted.cais", "d"), t2),
		withTime(withXattr(reg("ovl", "o", 0o600), "trusted.overlay.redirect", "/etc"), t1),
		withTime(reg("dir/implicit/parent/file", "deep", 0o600), t1),
		withTime(dir("etc/", 0o700), t2), // a directory named again keeps its contents
	)
	target := t.TempDir()
	if err := apply(t, target, data); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	got := describe(t, target, true)
	// Implicit parents get the time of their creation: compare the rest.
	for _, p := range []string{"dev", "dir", "dir/implicit", "dir/implicit/parent"} {
		got[p], _, _ = strings.Cut(got[p], " mtime=")
	}
	mt := func(tm time.Time) string { return " mtime=" + unixTime(tm) }
	want := map[string]string{
		"etc":                      "mode=40700 uid=0 gid=0" + mt(t2),
		"etc/passwd":               "mode=100644 uid=0 gid=0 nlink=2 sha=" + sha("root:x:0:0\n") + mt(t1),
		"etc/hard":                 "mode=100644 uid=0 gid=0 nlink=2 sha=" + sha("root:x:0:0\n") + mt(t1),
		"etc/shadow":               "mode=100640 uid=0 gid=42 nlink=1 sha=" + sha("secret") + mt(t1),
		"etc/setuid":               "mode=104755 uid=0 gid=0 nlink=1 sha=" + sha("x") + mt(t1),
		"etc/setgid":               "mode=102711 uid=0 gid=0 nlink=1 sha=" + sha("x") + mt(t1),
		"etc/link":                 "mode=120777 uid=1000 gid=1001 -> ../tmp/nowhere",
		"tmp":                      "mode=41777 uid=0 gid=0" + mt(t2),
		"dev":                      "mode=40755 uid=0 gid=0",
		"dev/null":                 "mode=20640 uid=0 gid=0 dev=1:3" + mt(t1),
		"dev/loop9":                "mode=60640 uid=0 gid=0 dev=7:9" + mt(t1),
		"dev/fifo":                 "mode=10640 uid=0 gid=0" + mt(t1),
		"cap":                      "mode=100755 uid=0 gid=0 nlink=1 sha=" + sha("c") + mt(t1) + " xattrs=security.capability=\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
		"user":                     "mode=100600 uid=0 gid=0 nlink=1 sha=" + sha("u") + mt(t1) + " xattrs=user.test=v",
		"xdir":                     "mode=40755 uid=0 gid=0" + mt(t2) + " xattrs=trusted.cais=d",
		"ovl":                      "mode=100600 uid=0 gid=0 nlink=1 sha=" + sha("o") + mt(t1),
		"dir":                      "mode=40755 uid=0 gid=0",
		"dir/implicit":             "mode=40755 uid=0 gid=0",
		"dir/implicit/parent":      "mode=40755 uid=0 gid=0",
		"dir/implicit/parent/file": "mode=100600 uid=0 gid=0 nlink=1 sha=" + sha("deep") + mt(t1),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tree after Apply (-want +got):\n%s", diff)
	}
	var a, b unix.Stat_t
	if err := unix.Lstat(filepath.Join(target, "etc/passwd"), &a); err != nil {
		t.Fatal(err)
	}
	if err := unix.Lstat(filepath.Join(target, "etc/hard"), &b); err != nil {
		t.Fatal(err)
	}
	if a.Ino != b.Ino || a.Nlink != 2 {
		t.Errorf("etc/hard: inode %d nlink %d, want inode %d nlink 2", b.Ino, a.Nlink, a.Ino)
	}
}

func unixTime(tm time.Time) string { return fmt.Sprintf("%d.%09d", tm.Unix(), tm.Nanosecond()) }
