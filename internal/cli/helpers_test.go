package cli_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/cais-project/cais/internal/fixture"
	"github.com/cais-project/cais/internal/testgate"
)

// env is one cais state (root, runroot, Docker config) for a test.
type env struct {
	t                  *testing.T
	bin, root, runRoot string
	dockerConfig       string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	testgate.Root(t)
	dir := t.TempDir()
	e := &env{
		t: t, bin: fixture.Binary(t, "cais"),
		root: filepath.Join(dir, "root"), runRoot: filepath.Join(dir, "run"), dockerConfig: filepath.Join(dir, "docker"),
	}
	t.Cleanup(e.removeNetworks) // bridges and rules outlive containers
	return e
}

type result struct {
	stdout, stderr string
	code           int
}

func (e *env) args(args ...string) []string {
	return append([]string{"--root", e.root, "--runroot", e.runRoot}, args...)
}

func (e *env) command(stdin string, args ...string) *exec.Cmd {
	cmd := exec.Command(e.bin, e.args(args...)...)
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+e.dockerConfig)
	cmd.Stdin = strings.NewReader(stdin)
	return cmd
}

// run runs cais with stdio in temp files (never pipes a test waits on).
func (e *env) runIn(stdin string, args ...string) result {
	e.t.Helper()
	cmd := e.command(stdin, args...)
	outF, errF := e.tempFile(), e.tempFile()
	cmd.Stdout, cmd.Stderr = outF, errF
	err := cmd.Run()
	var ee *exec.ExitError
	r := result{stdout: readFile(e.t, outF.Name()), stderr: readFile(e.t, errF.Name())}
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		e.t.Fatalf("cais %v: %v", args, err)
	}
	return r
}

func (e *env) run(args ...string) result { e.t.Helper(); return e.runIn("", args...) }

// must runs cais and fails the test unless it exits 0.
func (e *env) must(args ...string) string {
	e.t.Helper()
	r := e.run(args...)
	if r.code != 0 {
		e.t.Fatalf("cais %v: exit %d\nstdout:\n%s\nstderr:\n%s", args, r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

func (e *env) tempFile() *os.File {
	f, err := os.CreateTemp(e.t.TempDir(), "stdio-")
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { f.Close() })
	return f
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// entries counts the entries of dir.
func entries(t *testing.T, dir string) int {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

// testImage is a random image with layers of size bytes each and a config
// that says something checkable.
func testImage(t *testing.T, size int64, layers int64) v1.Image {
	t.Helper()
	img, err := random.Image(size, layers)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = "amd64", "linux"
	cf.Created = v1.Time{Time: time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)}
	cf.Config.Env = []string{"PATH=/bin", "HELLO=world"}
	cf.Config.Cmd = []string{"/bin/sh", "-c", "echo hi"}
	cf.Config.Entrypoint = []string{"/entry"}
	cf.Config.WorkingDir = "/work"
	cf.Config.User = "1000:1000"
	cf.Config.Labels = map[string]string{"org.example.kind": "test"}
	cf.Config.ExposedPorts = map[string]struct{}{"80/tcp": {}}
	cf.Config.StopSignal = "SIGQUIT"
	cf.History = nil
	for i := int64(0); i < layers; i++ {
		cf.History = append(cf.History, v1.History{CreatedBy: "/bin/sh -c #(nop) ADD layer" + string(rune('0'+i)), Created: cf.Created})
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// push writes img to ref on a registry.
func push(t *testing.T, ref string, img v1.Image) {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
}

func mustDigest(t *testing.T, f func() (v1.Hash, error)) v1.Hash {
	t.Helper()
	h, err := f()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func lines(s string) []string {
	return strings.Split(strings.TrimRight(s, "\n"), "\n")
}

func hasLine(out, want string) bool {
	for _, l := range lines(out) {
		if strings.TrimSpace(l) == want {
			return true
		}
	}
	return false
}
