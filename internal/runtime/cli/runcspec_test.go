package cli_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/cais-project/cais/internal/fixture"
	"github.com/cais-project/cais/internal/testgate"
)

// TestRunRuncSpecBundle runs a bundle whose config.json is exactly what
// Debian's `runc spec` writes, terminal true included: the foreground run
// must make the pty itself and connect it to its own stdio. The shell
// reads "exit 3" from the pty and the exit code comes back.
func TestRunRuncSpecBundle(t *testing.T) {
	r := newRT(t)
	const runc = "/usr/bin/runc"
	testgate.Binary(t, runc)
	b := fixture.Bundle(t)
	removeAll(t, filepath.Join(b, "config.json"))
	spec := exec.Command(runc, "spec")
	spec.Dir = b
	if out, err := spec.CombinedOutput(); err != nil {
		t.Fatalf("runc spec: %v\n%s", err, out)
	}

	stdin := filepath.Join(t.TempDir(), "stdin")
	if err := os.WriteFile(stdin, []byte("exit 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A guard against a hang, not an assertion on time.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, r.bin, "--root", r.root, "run", r.name)
	c.Dir = b
	c.Stdin = mustOpen(t, stdin)
	out := tempFile(t)
	c.Stdout, c.Stderr = out, out
	err := c.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("run of a runc spec bundle: %v, want exit 3\noutput:\n%s", err, readBack(t, out))
	}
}
