package archive_test

import (
	"archive/tar"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/image/archive"
	"github.com/cais-project/cais/internal/testgate"
	"github.com/google/go-cmp/cmp"
)

// TestApplyRefusesEscapes feeds hostile layers to Apply and checks that each
// is refused with an error naming the entry and the reason, and that the
// "host" around the target directory is byte for byte unchanged.
func TestApplyRefusesEscapes(t *testing.T) {
	testgate.Root(t)
	chr := entry{hdr: tar.Header{Typeflag: tar.TypeChar, Name: "dev/mem", Mode: 0o600, Devmajor: 1, Devminor: 1}}
	tests := []struct {
		name    string
		entries []entry
		opts    []archive.Option
		// wantErr is a substring of the error; "" means Apply must succeed
		// (safely) instead.
		wantErr  string
		wantName string
	}{
		{name: "dotdot", entries: []entry{reg("../../host/x", "pwned", 0o644)},
			wantErr: `contains ".."`, wantName: "../../host/x"},
		{name: "absolute with dotdot", entries: []entry{reg("/abs/../../host/x", "pwned", 0o644)},
			wantErr: `contains ".."`, wantName: "/abs/../../host/x"},
		// "@HOST@" stands for the sentinel's absolute path, so that a regression
		// damages the sentinel, not the machine's /etc.
		{name: "through absolute symlink", entries: []entry{symlink("evil", "/"), reg("evil@HOST@/etc/passwd", "pwned", 0o644)},
			wantErr: "through a symlink", wantName: "evil/"},
		{name: "through relative symlink", entries: []entry{symlink("evil", "../.."), reg("evil/host/x", "pwned", 0o644)},
			wantErr: "through a symlink", wantName: "evil/host/x"},
		{name: "through inward symlink", entries: []entry{dir("etc", 0o755), symlink("in", "etc"), reg("in/x", "x", 0o644)},
			wantErr: "through a symlink", wantName: "in/x"},
		{name: "dir through symlink", entries: []entry{symlink("evil", "../../host"), dir("evil/sub/", 0o755)},
			wantErr: "through a symlink", wantName: "evil/sub/"},
		{name: "hardlink out", entries: []entry{hardlink("h", "../../host/secret")},
			wantErr: `contains ".."`, wantName: "h"},
		{name: "hardlink to absolute host path", entries: []entry{hardlink("h", "@HOST@/secret")},
			wantErr: "not in this layer", wantName: "h"},
		{name: "hardlink through symlink", entries: []entry{symlink("evil", "../../host"), hardlink("h", "evil/secret")},
			wantErr: "through a symlink", wantName: "h"},
		{name: "hardlink into symlinked dir", entries: []entry{reg("f", "f", 0o644), symlink("evil", "../../host"), hardlink("evil/h", "f")},
			wantErr: "through a symlink", wantName: "evil/h"},
		{name: "very long path", entries: []entry{reg(strings.Repeat("a/", 2100)+"f", "x", 0o644)},
			wantErr: "longer than 4095", wantName: "a/a/a/"},
		{name: "very long name", entries: []entry{reg(strings.Repeat("n", 300), "x", 0o644)},
			wantErr: "longer than 255", wantName: "nnnn"},
		{name: "file then child of it", entries: []entry{reg("f", "x", 0o644), reg("f/x", "x", 0o644)},
			wantErr: "non-directory", wantName: "f/x"},
		{name: "device not allowed", entries: []entry{chr}, opts: []archive.Option{archive.NoDevices()},
			wantErr: "device nodes are not allowed", wantName: "dev/mem"},
		{name: "whiteout through symlink", entries: []entry{symlink("evil", "../../host"), reg("evil/.wh.secret", "", 0)},
			wantErr: "through a symlink", wantName: "evil/.wh.secret"},
		{name: "flatten whiteout through symlink", entries: []entry{symlink("evil", "../../host"), reg("evil/.wh.secret", "", 0)},
			opts: []archive.Option{archive.Flatten()}, wantErr: "through a symlink", wantName: "evil/.wh.secret"},
		{name: "flatten opaque through symlink", entries: []entry{symlink("evil", "../../host"), reg("evil/.wh..wh..opq", "", 0)},
			opts: []archive.Option{archive.Flatten()}, wantErr: "through a symlink", wantName: "evil/.wh..wh..opq"},
		{name: "whiteout of dotdot", entries: []entry{reg(".wh...", "", 0)},
			wantErr: "whiteout names no file", wantName: ".wh..."},
		// Not refused, but must stay inside: a later entry replaces a
		// symlink instead of writing through it.
		{name: "file replaces outward symlink", entries: []entry{symlink("evil", "../../host/secret"), reg("evil", "pwned", 0o644)}},
		{name: "dir replaces file", entries: []entry{reg("f", "x", 0o644), dir("f/", 0o755), reg("f/x", "x", 0o644)}},
		{name: "absolute name is relative", entries: []entry{reg("@HOST@/secret", "mine", 0o644)}},
		{name: "absolute symlink target is kept as data", entries: []entry{symlink("abs", "@HOST@/secret")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			host := filepath.Join(root, "host")
			mustWrite(t, filepath.Join(host, "secret"), "host secret")
			mustWrite(t, filepath.Join(host, "etc", "passwd"), "root:x:0:0")
			target := filepath.Join(root, "a", "target")
			if err := os.MkdirAll(target, 0o755); err != nil {
				t.Fatal(err)
			}
			before := describe(t, root, true)

			var entries []entry
			for _, e := range tc.entries {
				e.hdr.Name = strings.ReplaceAll(e.hdr.Name, "@HOST@", host)
				e.hdr.Linkname = strings.ReplaceAll(e.hdr.Linkname, "@HOST@", host)
				entries = append(entries, e)
			}
			err := apply(t, target, layer(t, entries...), tc.opts...)

			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Apply: %v, want success", err)
			case tc.wantErr != "" && err == nil:
				t.Errorf("Apply succeeded, want an error containing %q", tc.wantErr)
			case tc.wantErr != "":
				if !errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), tc.wantName) {
					t.Errorf("Apply error = %v, want InvalidArgument naming %q and containing %q", err, tc.wantName, tc.wantErr)
				}
			}
			after := describe(t, root, true)
			for p := range after {
				if p == "a/target" || strings.HasPrefix(p, "a/target/") {
					delete(after, p)
				}
			}
			delete(before, "a/target")
			if diff := cmp.Diff(before, after); diff != "" {
				t.Errorf("outside the target changed (-before +after):\n%s", diff)
			}
		})
	}
}

func mustWrite(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
