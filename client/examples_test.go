package client_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// TestExample runs Example against a private registry and a temp state
// and checks what it prints; newState checks nothing is left.
func TestExample(t *testing.T) {
	s := newState(t)
	exampleRoot, exampleRunRoot, exampleImage = s.root, s.runRoot, s.ref
	// Example prints to os.Stdout: a temp file takes its place meanwhile.
	out := tempFile(t)
	saved := os.Stdout
	os.Stdout = out
	Example()
	os.Stdout = saved
	if got, want := readFile(t, out), "hello world\nexit status: 0\n"; got != want {
		t.Errorf("Example printed %q, want %q", got, want)
	}
}

// TestExamplesRun builds examples/run and runs it as a user would: it
// pulls from the registry, runs echo hello with its own stdio, prints the
// exit status and removes the container and its snapshot.
func TestExamplesRun(t *testing.T) {
	s := newState(t)
	bin := filepath.Join(t.TempDir(), "run")
	build := exec.Command("go", "build", "-o", bin, "./examples/run")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./examples/run: %v\n%s", err, out)
	}
	out, errOut := tempFile(t), tempFile(t)
	cmd := exec.Command(bin, "-root", s.root, "-runroot", s.runRoot, s.ref)
	cmd.Stdout, cmd.Stderr = out, errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("examples/run: %v\nstderr: %s", err, readFile(t, errOut))
	}
	if got, want := readFile(t, out), "hello\nexit status: 0\n"; got != want {
		t.Errorf("stdout %q, want %q (stderr %q)", got, want, readFile(t, errOut))
	}

	// A reference that does not parse fails with a message and exit 1.
	errOut = tempFile(t)
	cmd = exec.Command(bin, "-root", s.root, "-runroot", s.runRoot, "Not//A-Reference")
	cmd.Stderr = errOut
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !regexp.MustCompile(`^run: .*Not//A-Reference`).MatchString(readFile(t, errOut)) {
		t.Errorf("bad reference: %v, stderr %q; want exit 1 and a message naming it", err, readFile(t, errOut))
	}
}
