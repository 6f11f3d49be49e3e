package cli_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/cais-project/cais/internal/fixture"
)

// TestSaveLoadImport round-trips a pulled image through save, rmi and
// load in both formats, and imports a rootfs directory.
func TestSaveLoadImport(t *testing.T) {
	e := newEnv(t)
	reg := fixture.Registry(t)
	img := testImage(t, 128<<10, 2)
	ref := reg + "/cais/saved:v1"
	push(t, ref, img)
	e.must("pull", "-q", ref)
	id := "sha256:" + mustDigest(t, img.ConfigName).Hex
	for _, format := range []string{"docker-archive", "oci-archive"} {
		t.Run(format, func(t *testing.T) {
			tar := filepath.Join(t.TempDir(), "img.tar")
			e.must("save", "--format", format, "-o", tar, ref)
			e.must("rmi", ref)
			if got := e.must("images", "-q"); got != "" {
				t.Fatalf("images after rmi = %q", got)
			}
			out := e.must("load", "-i", tar)
			if out != "Loaded image: "+ref+"\n" {
				t.Errorf("load printed %q", out)
			}
			if got := e.must("image", "inspect", "--format", "{{.Id}}", ref); got != id+"\n" {
				t.Errorf("loaded image ID = %q, want %s", got, id)
			}
			if got := e.must("images", "--format", "{{.Size}}"); got == "" || strings.HasPrefix(got, "0B") {
				t.Errorf("loaded image size = %q", got)
			}
		})
	}
	t.Run("import", func(t *testing.T) {
		out := e.must("import", "-c", "CMD [\"/bin/sh\"]", fixture.BusyboxRootfs(t), "imported/busybox:v1")
		newID := strings.TrimSpace(out)
		if !strings.HasPrefix(newID, "sha256:") {
			t.Fatalf("import printed %q", out)
		}
		got := e.must("image", "inspect", "--format", "{{.Id}} {{.Config.Cmd}} {{len .RootFS.Layers}}", "imported/busybox:v1")
		if got != newID+" [/bin/sh] 1\n" {
			t.Errorf("imported image: %q", got)
		}
	})
}
