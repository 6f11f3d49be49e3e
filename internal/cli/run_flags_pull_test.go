package cli_test

import (
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/cais-project/cais/internal/fixture"
)

// pushMultiPlatform pushes busybox:test from e to reg as an index of two
// images that differ in their config: the host's architecture and arm64
// (with the same, host, busybox: created, never started), each labelled
// with its architecture. It returns the index's reference.
func pushMultiPlatform(t *testing.T, e *env, reg string) string {
	t.Helper()
	single := reg + "/flags/busybox:single"
	e.must("tag", "busybox:test", single)
	e.must("push", single)
	r, err := name.ParseReference(single)
	if err != nil {
		t.Fatal(err)
	}
	base, err := remote.Image(r)
	if err != nil {
		t.Fatal(err)
	}
	idx := v1.ImageIndex(empty.Index)
	for _, arch := range []string{runtime.GOARCH, "arm64"} {
		cf, err := base.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture = "linux", arch
		cf.Config.Labels = map[string]string{"arch": arch}
		img, err := mutate.ConfigFile(base, cf)
		if err != nil {
			t.Fatal(err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}}})
	}
	multi := reg + "/flags/busybox:multi"
	ir, err := name.ParseReference(multi)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(ir, idx); err != nil {
		t.Fatal(err)
	}
	e.must("rmi", single)
	return multi
}

// TestRunPlatformAndPull: --platform reaches the pull (the arm64 image of
// an index is pulled and created from), an image present for another
// platform is refused, and --pull never/always do what they say.
func TestRunPlatformAndPull(t *testing.T) {
	if runtime.GOARCH == "arm64" {
		t.Skip("the other platform of this test is arm64, the host's")
	}
	e, name := runEnv(t)
	t.Cleanup(func() { e.run("rm", "-f", name) })
	reg := fixture.Registry(t)
	multi := pushMultiPlatform(t, e, reg)

	if r := e.run("run", "--rm", "--pull", "never", multi, "true"); r.code != 125 || !strings.Contains(r.stderr, "no such image") {
		t.Errorf("--pull never of an absent image: exit %d, %q", r.code, r.stderr)
	}
	e.must("create", "--name", name, "--platform", "linux/arm64", multi, "true")
	if got := inspectOne(t, e, name).Config.Labels["arch"]; got != "arm64" {
		t.Errorf("created with --platform linux/arm64: label arch=%q, want arm64", got)
	}
	e.must("rm", "-f", name)

	host := "linux/" + runtime.GOARCH
	if r := e.run("run", "--rm", "--pull", "never", "--platform", host, multi, "true"); r.code != 125 ||
		!strings.Contains(r.stderr, "does not match the specified platform") {
		t.Errorf("--platform %s with only arm64 present: exit %d, %q", host, r.code, r.stderr)
	}
	// always pulls again, here the host's platform, which then runs.
	if out := e.must("run", "--rm", "--pull", "always", multi, "cat", "/etc/hostname"); out == "" {
		t.Error("run --pull always printed nothing")
	}
	e.must("create", "--name", name, "--pull", "never", multi, "true")
	if got := inspectOne(t, e, name).Config.Labels["arch"]; got != runtime.GOARCH {
		t.Errorf("after --pull always: label arch=%q, want %s", got, runtime.GOARCH)
	}
	e.must("rm", "-f", name)
	if out := e.must("ps", "-a", "-q"); out != "" {
		t.Errorf("ps -a at the end: %q", out)
	}
}
