package archive_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cais-project/cais/internal/image/archive"
	"github.com/cais-project/cais/internal/testgate"
	"github.com/google/go-cmp/cmp"
)

// tricky is a layer where order matters: entries replace pending files,
// directories change under them, links and whiteouts point at them.
func tricky(t *testing.T) []byte {
	when := time.Date(2019, 3, 4, 5, 6, 7, 0, time.UTC)
	at := func(e entry) entry { e.hdr.ModTime = when; return e }
	own := func(e entry, uid, gid int) entry { e.hdr.Uid, e.hdr.Gid = uid, gid; return e }
	var es []entry
	for d := range 12 {
		es = append(es, at(dir(fmt.Sprintf("many/d%02d/", d), 0o755)))
		for f := range 40 {
			es = append(es, at(reg(fmt.Sprintf("many/d%02d/f%02d", d, f), strings.Repeat(fmt.Sprint(d, f), f+1), 0o644)))
		}
	}
	es = append(es,
		at(reg("dup", "one", 0o644)), at(reg("dup", "two", 0o600)), // file over a pending file
		at(reg("becomes-dir", "f", 0o644)), at(dir("becomes-dir", 0o700)), at(reg("becomes-dir/in", "in", 0o644)),
		at(reg("becomes-file/a", "a", 0o644)), at(reg("becomes-file", "now a file", 0o644)),
		at(reg("sg/early", "e", 0o644)), at(own(dir("sg", 0o2775), 0, 777)), at(reg("sg/late", "l", 0o644)),
		at(reg("linked", "target", 0o644)), at(hardlink("link", "linked")),
		at(symlink("sym", "linked")),
		at(reg("gone/x", "x", 0o644)), at(reg("gone/y", "y", 0o644)), at(reg(".wh.gone", "", 0)),
		at(reg("opq/old", "old", 0o644)), at(reg("opq/.wh..wh..opq", "", 0)), at(reg("opq/new", "new", 0o644)),
		at(reg("big/file", strings.Repeat("B", 300<<10), 0o644)), at(reg("big/small", "s", 0o644)),
		at(own(reg("owned/u", "u", 0o4755), 1000, 1000)),
		at(dir("many/d03/", 0o711)), // an existing directory named again after its files
	)
	// Directories made without an entry get the time of their making:
	// name them all so that the two runs can be compared with times.
	for _, d := range []string{"many", "big", "owned", "opq"} {
		es = append(es, at(dir(d, 0o755)))
	}
	return layer(t, es...)
}

// TestParallelFilesSameResult: applying with file workers gives exactly
// what applying in order gives (types, modes, owners, content, links,
// times, xattrs), in overlay and in flatten mode, and the same refusal for
// an entry below a pending file.
func TestParallelFilesSameResult(t *testing.T) {
	testgate.Root(t)
	data := tricky(t)
	for _, mode := range []struct {
		name string
		opts []archive.Option
	}{{"overlay", nil}, {"flatten", []archive.Option{archive.Flatten()}}} {
		t.Run(mode.name, func(t *testing.T) {
			serial := t.TempDir()
			if err := apply(t, serial, data, mode.opts...); err != nil {
				t.Fatalf("Apply in order: %v", err)
			}
			want := describe(t, serial, true)
			for _, n := range []int{2, 4} {
				par := t.TempDir()
				if err := apply(t, par, data, append(mode.opts, archive.ParallelFiles(n))...); err != nil {
					t.Fatalf("Apply with %d workers: %v", n, err)
				}
				if diff := cmp.Diff(want, describe(t, par, true)); diff != "" {
					t.Errorf("%d workers vs in order (-in order +parallel):\n%s", n, diff)
				}
			}
			if len(want) < 12*40 {
				t.Fatalf("only %d entries extracted", len(want))
			}
		})
	}
	bad := layer(t, reg("f", "x", 0o644), reg("f/below", "y", 0o644))
	serialErr := apply(t, t.TempDir(), bad)
	parErr := apply(t, t.TempDir(), bad, archive.ParallelFiles(3))
	if serialErr == nil || parErr == nil || serialErr.Error() != parErr.Error() {
		t.Errorf("entry below a file: in order %v, parallel %v; want the same refusal", serialErr, parErr)
	}
}

// TestParallelFilesStayInside: file workers never write through a symlink
// planted by an earlier entry, and a failure stops Apply with the error.
func TestParallelFilesStayInside(t *testing.T) {
	testgate.Root(t)
	outside := t.TempDir()
	var es []entry
	for i := range 50 {
		es = append(es, reg(fmt.Sprintf("d/f%d", i), "x", 0o644))
	}
	es = append(es, symlink("evil", outside), reg("evil/escaped", "x", 0o644))
	root := t.TempDir()
	err := apply(t, root, layer(t, es...), archive.ParallelFiles(4))
	if err == nil || !strings.Contains(err.Error(), "through a symlink") {
		t.Errorf("Apply = %v, want a refusal of the path through a symlink", err)
	}
	if _, err := os.Lstat(filepath.Join(outside, "escaped")); err == nil {
		t.Error("a file was written outside the layer directory")
	}
}
