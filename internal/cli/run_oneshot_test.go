package cli_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cais-project/cais/internal/fixture"
	"github.com/cais-project/cais/internal/testgate"
)

// oneshotRuntimes are the runtimes `cais run` is checked with here.
func oneshotRuntimes(t *testing.T) map[string]string {
	testgate.Binary(t, "/usr/sbin/runc")
	return map[string]string{"cais-runtime": fixture.Binary(t, "cais-runtime"), "runc": "/usr/sbin/runc"}
}

// TestRunFirstOutput: the first bytes a `cais run` container writes reach
// the attached CLI, now that the start request also creates the
// container: 20 runs each of pipes (each stream its own line) and of a
// terminal (one stream: both lines in order), with both runtimes.
func TestRunFirstOutput(t *testing.T) {
	for rt := range oneshotRuntimes(t) {
		t.Run(rt, func(t *testing.T) {
			e, name := runEnv(t)
			script := "echo first; echo second >&2"
			for i := range 20 {
				r := e.run("run", "--rm", "--network", "none", "--name", name, "--runtime", rt, "busybox:test", "sh", "-c", script)
				if r.code != 0 || r.stdout != "first\n" || r.stderr != "second\n" {
					t.Fatalf("run %d: code %d stdout %q stderr %q, want 0, \"first\\n\", \"second\\n\"", i, r.code, r.stdout, r.stderr)
				}
				r = e.run("run", "-t", "--rm", "--network", "none", "--name", name, "--runtime", rt, "busybox:test", "sh", "-c", script)
				if r.code != 0 || r.stdout != "first\r\nsecond\r\n" {
					t.Fatalf("run -t %d: code %d stdout %q stderr %q, want both lines in order", i, r.code, r.stdout, r.stderr)
				}
			}
			if out := e.must("ps", "-aq"); out != "" {
				t.Errorf("ps -aq after --rm runs: %q", out)
			}
		})
	}
}

// argvRuntime writes a runtime that appends its argv to log, then execs
// real; it returns the runtime's path.
func argvRuntime(t *testing.T, real, log string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "logged-runtime")
	script := "#!/bin/sh\necho \"RUNTIME $*\" >> " + log + "\nexec " + real + " \"$@\"\n"
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// runtimeVerbs reads log: the runtime verb of each RUNTIME line, and
// "PROGRAM" where the container's program wrote.
func runtimeVerbs(t *testing.T, log string) []string {
	t.Helper()
	verbs := []string{}
	known := []string{"create", "start", "run", "delete", "kill", "state", "exec"}
	for _, line := range lines(readFile(t, log)) {
		f := strings.Fields(line)
		if len(f) > 0 && f[0] == "PROGRAM" {
			verbs = append(verbs, "PROGRAM")
			continue
		}
		for _, w := range f {
			if slices.Contains(known, w) {
				verbs = append(verbs, w)
				break
			}
		}
	}
	return verbs
}

// TestRunOneRuntimeProcess: `cais run` (foreground, -d, -t, -i) starts
// exactly one runtime process, `run --detach`, before the container's
// program runs; `cais create` + `cais start` keep create then start. A
// runtime that logs its argv and the program's own line in the same file
// show the order from outside.
func TestRunOneRuntimeProcess(t *testing.T) {
	for rtName, real := range oneshotRuntimes(t) {
		t.Run(rtName, func(t *testing.T) {
			e, name := runEnv(t)
			t.Cleanup(func() { e.run("rm", "-f", name) })
			logDir := t.TempDir()
			log := filepath.Join(logDir, "argv")
			rt := argvRuntime(t, real, log)
			prog := []string{"busybox:test", "sh", "-c", "echo PROGRAM >> /log/argv; echo ran"}
			base := []string{"--network", "none", "--name", name, "--runtime", rt, "-v", logDir + ":/log"}
			cases := []struct {
				what string
				do   func() string
				want []string
			}{
				{"run --rm", func() string { return e.must(append(append([]string{"run", "--rm"}, base...), prog...)...) },
					[]string{"run", "PROGRAM", "delete"}},
				{"run -t -i --rm", func() string {
					return e.must(append(append([]string{"run", "-t", "-i", "--rm"}, base...), prog...)...)
				}, []string{"run", "PROGRAM", "delete"}},
				{"run (kept) then rm", func() string {
					out := e.must(append(append([]string{"run"}, base...), prog...)...)
					e.must("rm", name)
					return out
				}, []string{"run", "PROGRAM", "delete"}},
				{"run -d, wait, rm", func() string {
					e.must(append(append([]string{"run", "-d"}, base...), prog...)...)
					e.must("wait", name)
					e.must("rm", name)
					return "ran\n"
				}, []string{"run", "PROGRAM", "delete"}},
				{"create then start -a", func() string {
					e.must(append(append([]string{"create"}, base...), prog...)...)
					out := e.must("start", "-a", name)
					e.must("rm", name)
					return out
				}, []string{"create", "start", "PROGRAM", "delete"}},
			}
			for _, c := range cases {
				os.Remove(log)
				if out := c.do(); strings.TrimRight(out, "\r\n") != "ran" {
					t.Errorf("%s: output %q, want \"ran\"", c.what, out)
				}
				// Only the verbs that change the container: a `state` or
				// `kill` query would be no create or start.
				var got []string
				for _, v := range runtimeVerbs(t, log) {
					if v != "state" && v != "kill" {
						got = append(got, v)
					}
				}
				if !slices.Equal(got, c.want) {
					t.Errorf("%s: runtime calls and program %v, want %v\n%s", c.what, got, c.want, readFile(t, log))
				}
			}
		})
	}
}

// TestRunCannotExec: a program that is missing or not executable still
// fails `cais run` (foreground and -d) with Docker's 127 and 126, names
// the program, and leaves no container.
func TestRunCannotExec(t *testing.T) {
	for rt := range oneshotRuntimes(t) {
		t.Run(rt, func(t *testing.T) {
			e, name := runEnv(t)
			t.Cleanup(func() { e.run("rm", "-f", name) })
			for _, c := range []struct {
				args []string
				code int
			}{
				{[]string{"/no/such/cmd"}, 127},
				{[]string{"nosuchcmd"}, 127},
				{[]string{"/etc/passwd"}, 126},
			} {
				for _, mode := range [][]string{{"--rm"}, {}, {"-t"}, {"-d"}, {"-d", "--restart", "always"}, {"--restart", "always"}} {
					args := append(append(append([]string{"run"}, mode...), "--network", "none", "--name", name, "--runtime", rt, "busybox:test"), c.args...)
					r := e.run(args...)
					if r.code != c.code || !strings.Contains(r.stderr, c.args[0]) {
						t.Errorf("cais %v: code %d stderr %q, want %d naming %s", args[1:], r.code, r.stderr, c.code, c.args[0])
					}
					if out := e.must("ps", "-aq"); out != "" {
						t.Errorf("cais %v left a container: %q", args[1:], out)
						e.run("rm", "-f", name)
					}
				}
			}
		})
	}
}
