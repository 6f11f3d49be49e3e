package cli_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// A foreground run and exec forward the signals they receive to the
// container's process, as runc does: here SIGTERM reaches a shell that
// traps it and exits 42, which becomes the runtime's exit code.
func TestForegroundRunAndExecForwardSignals(t *testing.T) {
	r := newRT(t)
	script := `trap 'exit 42' TERM; while :; do sleep 0.05; done`

	// trapsTERM: the container's shell catches SIGTERM (bit 15 of SigCgt in
	// its status), so it has set its trap. (Before the exec, the runtime's
	// own init catches every signal: it is not the shell yet.)
	trapsTERM := func() bool {
		res := r.run("ps", "--format", "json", r.name)
		var pids []int
		if res.code != 0 || json.Unmarshal([]byte(res.stdout), &pids) != nil {
			return false // not created yet
		}
		for _, pid := range pids {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
			if err != nil {
				continue
			}
			if !strings.HasPrefix(string(b), "Name:\tsh\n") {
				continue
			}
			for _, line := range strings.Split(string(b), "\n") {
				if v, ok := strings.CutPrefix(line, "SigCgt:"); ok {
					mask, _ := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
					if mask&(1<<(15-1)) != 0 {
						return true
					}
				}
			}
		}
		return false
	}
	wait := func(c *exec.Cmd, what string) {
		t.Helper()
		waitFor(t, trapsTERM)
		if err := c.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		err := c.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 42 {
			t.Fatalf("%s after SIGTERM: %v, want exit 42 from the container's trap", what, err)
		}
	}

	run := r.cmd("run", "--bundle", r.bundle(script), r.name)
	run.Stdout, run.Stderr = tempFile(t), tempFile(t)
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { run.Process.Kill() })
	wait(run, "run")

	r.must("run", "--detach", "--bundle", r.bundle("sleep 60"), r.name)
	ex := r.cmd("exec", r.name, "sh", "-c", script)
	ex.Stdout, ex.Stderr = tempFile(t), tempFile(t)
	if err := ex.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ex.Process.Kill() })
	wait(ex, "exec")
	r.must("kill", r.name, "KILL")
}
