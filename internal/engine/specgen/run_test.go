package specgen_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/cais-project/cais/internal/engine/specgen"
	"github.com/cais-project/cais/internal/fixture"
	"github.com/cais-project/cais/internal/testgate"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestGeneratedSpecRuns runs a generated spec for the busybox rootfs under
// cais-runtime and runc: the process has Docker's 14 default capabilities
// (effective only for root), the hostname asked for and the user resolved
// from the rootfs' /etc/passwd.
func TestGeneratedSpecRuns(t *testing.T) {
	testgate.Root(t)
	testgate.Binary(t, "/usr/bin/runc")
	runtimes := map[string]string{
		"cais-runtime": fixture.Binary(t, "cais-runtime"),
		"runc":         "/usr/bin/runc",
	}
	users := []struct {
		name, user, uid, capEff string
	}{
		{"root", "", "0", "00000000a80425fb"},
		{"cais", "cais", "1000", "0000000000000000"},
	}
	for _, rtName := range []string{"cais-runtime", "runc"} {
		for _, u := range users {
			t.Run(rtName+"/"+u.name, func(t *testing.T) {
				id := fixture.Name(t)
				fixture.CheckLeaks(t, id)
				t.Cleanup(removeTestCgroupParents)
				bundle := fixture.Bundle(t)
				rootfs := filepath.Join(bundle, "rootfs")
				img := ocispec.ImageConfig{
					Entrypoint: []string{"/bin/sh", "-c"},
					Cmd:        []string{"echo old"},
				}
				s, err := specgen.Generate(img, rootfs, specgen.Options{
					ID:           id,
					Hostname:     "gen-" + u.name,
					User:         u.user,
					Cmd:          []string{`grep -E "^Cap(Eff|Bnd)" /proc/self/status; hostname; id -u`},
					CgroupParent: "/cais-test",
				})
				if err != nil {
					t.Fatalf("Generate: %v", err)
				}
				fixture.WriteSpec(t, bundle, s)

				bin, state := runtimes[rtName], t.TempDir()
				t.Cleanup(func() { _ = exec.Command(bin, "--root", state, "delete", "--force", id).Run() })
				out, err := exec.Command(bin, "--root", state, "run", "--bundle", bundle, id).CombinedOutput()
				if err != nil {
					t.Fatalf("%s run: %v\n%s", rtName, err, out)
				}
				want := "CapEff:\t" + u.capEff + "\nCapBnd:\t00000000a80425fb\ngen-" + u.name + "\n" + u.uid + "\n"
				if string(out) != want {
					t.Errorf("container printed %q, want %q", out, want)
				}
			})
		}
	}
}

// removeTestCgroupParents removes the "cais-test" parent cgroups the
// runtimes created, once empty; one still in use by another test stays.
func removeTestCgroupParents() {
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*/cais-test")
	dirs = append(dirs, "/sys/fs/cgroup/cais-test")
	for _, d := range dirs {
		_ = os.Remove(d)
	}
}
