package cli_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/fixture"
	"github.com/cais-project/cais/internal/testgate"
)

// rt runs cais-runtime with its own --root for one test.
type rt struct {
	t    *testing.T
	bin  string
	root string
	name string
}

// newRT prepares a test: root gate, leak check first (its cleanup runs
// last), the runtime binary and a private state root.
func newRT(t *testing.T) *rt {
	t.Helper()
	testgate.Root(t)
	name := fixture.Name(t)
	root := t.TempDir()
	fixture.CheckLeaks(t, name, root)
	r := &rt{t: t, bin: fixture.Binary(t, "cais-runtime"), root: root, name: name}
	t.Cleanup(func() { exec.Command(r.bin, "--root", root, "delete", "--force", name).Run() })
	return r
}

type result struct {
	stdout, stderr string
	code           int
}

func (r *rt) cmd(args ...string) *exec.Cmd {
	return exec.Command(r.bin, append([]string{"--root", r.root}, args...)...)
}

// run runs the runtime and returns what it printed and its exit code.
func (r *rt) run(args ...string) result {
	r.t.Helper()
	c := r.cmd(args...)
	// Files, not pipes: a detached container inherits them and would keep
	// a pipe open after the runtime exits.
	out, errb := tempFile(r.t), tempFile(r.t)
	c.Stdout, c.Stderr = out, errb
	err := c.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		r.t.Fatalf("running cais-runtime %v: %v", args, err)
	}
	return result{readBack(r.t, out), readBack(r.t, errb), code}
}

func tempFile(t *testing.T) *os.File {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func readBack(t *testing.T, f *os.File) string {
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// must runs the runtime and fails the test unless it exits 0.
func (r *rt) must(args ...string) string {
	r.t.Helper()
	res := r.run(args...)
	if res.code != 0 {
		r.t.Fatalf("cais-runtime %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), res.code, res.stdout, res.stderr)
	}
	return res.stdout
}

// bundle makes a bundle whose process runs the shell script.
func (r *rt) bundle(script string, edits ...func(*specs.Spec)) string {
	r.t.Helper()
	return fixture.Bundle(r.t, append([]func(*specs.Spec){func(s *specs.Spec) {
		s.Process.Args = []string{"/bin/sh", "-c", script}
	}}, edits...)...)
}

func (r *rt) stateDirExists() bool {
	_, err := os.Stat(filepath.Join(r.root, r.name))
	return err == nil
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }
