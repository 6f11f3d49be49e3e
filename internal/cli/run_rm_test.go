package cli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// leftovers lists what remains of containers in e: records, names,
// bundles and monitor directories.
func (e *env) leftovers() []string {
	var out []string
	for _, d := range []string{
		filepath.Join(e.root, "containers"), filepath.Join(e.root, "container-names"),
		filepath.Join(e.runRoot, "containers"), filepath.Join(e.runRoot, "m"),
	} {
		es, err := os.ReadDir(d)
		if err != nil && !os.IsNotExist(err) {
			e.t.Fatal(err)
		}
		for _, de := range es {
			out = append(out, filepath.Join(d, de.Name()))
		}
	}
	return out
}

// awaitNoLeftovers polls until nothing of a container remains; the
// timeout is generous (a loaded machine), the test fails after it.
func (e *env) awaitNoLeftovers(what string) {
	e.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		left := e.leftovers()
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: still there after 60s: %v", what, left)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRunRmForegroundRemoves: a foreground run --rm exits with the
// container's code after all its output, and leaves no record, name,
// bundle, monitor, mount, snapshot (runEnv) or anonymous volume behind.
func TestRunRmForegroundRemoves(t *testing.T) {
	e, name := runEnv(t)
	script := `echo out; echo err >&2; i=0; while [ $i -lt 3000 ]; do echo line$i; i=$((i+1)); done; echo last; exit 5`
	r := e.run("run", "--rm", "--name", name, "--network", "none", "-v", "/data", "busybox:test", "sh", "-c", script)
	if r.code != 5 {
		t.Errorf("exit code %d, want 5 (stderr %q)", r.code, r.stderr)
	}
	want := "out\n"
	for i := range 3000 {
		want += fmt.Sprintf("line%d\n", i)
	}
	want += "last\n"
	if r.stdout != want || r.stderr != "err\n" {
		t.Errorf("stdout %d bytes (want %d), ends %q; stderr %q", len(r.stdout), len(want), r.stdout[max(0, len(r.stdout)-20):], r.stderr)
	}
	// Removed before the command returned: no polling here.
	if left := e.leftovers(); len(left) != 0 {
		t.Errorf("left after run --rm returned: %v", left)
	}
	if out := e.must("ps", "-aq"); out != "" {
		t.Errorf("ps -aq: %q, want nothing", out)
	}
	if out := e.must("volume", "ls", "-q"); out != "" {
		t.Errorf("anonymous volume left: %q", out)
	}
	// The name is free again.
	if r := e.run("run", "--rm", "--name", name, "busybox:test", "true"); r.code != 0 {
		t.Errorf("second run with the same name: %d %q", r.code, r.stderr)
	}
}

// TestRunRmForegroundKilled: a foreground run --rm SIGKILLed while its
// container runs still gets the container removed (by the monitor).
func TestRunRmForegroundKilled(t *testing.T) {
	e, name := runEnv(t)
	cmd := e.command("", "run", "--rm", "--name", name, "busybox:test", "sh", "-c", "sleep 1")
	cmd.Stdout, cmd.Stderr = e.tempFile(), e.tempFile()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		r := e.run("inspect", "--format", "{{.State.Status}}", name)
		if r.stdout == "running\n" {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("container never ran: %q %q", r.stdout, r.stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if len(e.leftovers()) == 0 {
		t.Fatalf("nothing of the container right after killing the CLI: the check below would prove nothing")
	}
	e.awaitNoLeftovers("after the CLI was killed")
	if out := e.must("ps", "-aq"); out != "" {
		t.Errorf("ps -aq: %q, want nothing", out)
	}
}

// TestRunRmDetached: run --rm -d is still removed by the monitor.
func TestRunRmDetached(t *testing.T) {
	e, name := runEnv(t)
	id := strings.TrimSpace(e.must("run", "--rm", "-d", "--name", name, "-v", "/data", "busybox:test", "sh", "-c", "sleep 0.5"))
	if len(id) != 64 {
		t.Fatalf("run -d printed %q", id)
	}
	e.awaitNoLeftovers("after a detached --rm container exited")
	if out := e.must("ps", "-aq"); out != "" {
		t.Errorf("ps -aq: %q, want nothing", out)
	}
	if out := e.must("volume", "ls", "-q"); out != "" {
		t.Errorf("anonymous volume left: %q", out)
	}
}

// TestRunRmForegroundRemovedElsewhere: rm -f of a foreground --rm
// container from another command ends the run with 137 and no error
// about the removal the run itself then finds done.
func TestRunRmForegroundRemovedElsewhere(t *testing.T) {
	e, name := runEnv(t)
	cmd := e.command("", "run", "--rm", "--name", name, "busybox:test", "sleep", "60")
	outF, errF := e.tempFile(), e.tempFile()
	cmd.Stdout, cmd.Stderr = outF, errF
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	deadline := time.Now().Add(60 * time.Second)
	for e.run("inspect", "--format", "{{.State.Status}}", name).stdout != "running\n" {
		if time.Now().After(deadline) {
			t.Fatal("container never ran")
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.must("rm", "-f", name)
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 137 {
		t.Errorf("run exit code %d, want 137", code)
	}
	if s := readFile(t, errF.Name()); s != "" {
		t.Errorf("run stderr %q, want nothing", s)
	}
	e.awaitNoLeftovers("after rm -f")
}
