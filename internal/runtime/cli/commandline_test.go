package cli_test

import (
	"os"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// TestCommandLineShapes checks the binary's answers to help, version and
// bad command lines: what it prints where, and its exit codes.
func TestCommandLineShapes(t *testing.T) {
	r := newRT(t)
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr string
	}{
		{"--version", []string{"--version"}, 0, []string{"cais-runtime version ", "\ncommit: ", "\nspec: " + specs.Version + "\n"}, ""},
		{"-v", []string{"-v"}, 0, []string{"cais-runtime version "}, ""},
		{"version verb", []string{"version"}, 0, []string{"cais-runtime version "}, ""},
		{"--help", []string{"--help"}, 0, []string{"Commands:", "  create ", "  exec ", "--root string", "--log-format string"}, ""},
		{"-h", []string{"-h"}, 0, []string{"Commands:"}, ""},
		{"no verb", nil, 0, []string{"Commands:"}, ""},
		{"help verb", []string{"help", "exec"}, 0, []string{"cais-runtime exec [flags]", "-e, --env string", "-d, --detach"}, ""},
		{"verb --help", []string{"create", "--help"}, 0, []string{"cais-runtime create [flags] CONTAINER_ID", "-b, --bundle string", "--preserve-fds int"}, ""},
		{"verb -h after its argument", []string{"delete", "x", "-h"}, 0, []string{"Aliases:\n  delete, rm", "-f, --force"}, ""},
		{"help shows defaults as declared", []string{"events", "--interval", "1s", "--help"}, 0, []string{"--interval duration", "(default 5s)"}, ""},
		{"hidden flags stay hidden", []string{"update", "--help"}, 0, []string{"--cpu-share string"}, ""},
		{"unknown verb", []string{"bogus"}, 1, nil, `unknown command "bogus" for "cais-runtime"`},
		{"unknown flag", []string{"create", "--bogus", "x"}, 1, nil, "unknown flag: --bogus"},
		{"unknown global flag", []string{"--bogus", "list"}, 1, nil, "unknown flag: --bogus"},
		{"unknown shorthand", []string{"list", "-x"}, 1, nil, `unknown shorthand flag: "x" in -x`},
		{"missing value", []string{"create", "x", "--bundle"}, 1, nil, "flag needs an argument: --bundle"},
		{"bad int", []string{"create", "--preserve-fds", "many", "x"}, 1, nil, `invalid argument "many" for "--preserve-fds" flag`},
		{"missing argument", []string{"state"}, 1, nil, `"state" requires exactly 1 argument(s), received 0`},
		{"too many arguments", []string{"kill", "a", "KILL", "c"}, 1, nil, `"kill" accepts at most 2 argument(s), received 3`},
		{"bad log format", []string{"--log-format", "xml", "list"}, 1, nil, `--log-format "xml": must be text or json`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := r.run(tc.args...)
			if res.code != tc.code {
				t.Fatalf("%q: exit %d, want %d\nstdout: %s\nstderr: %s", tc.args, res.code, tc.code, res.stdout, res.stderr)
			}
			for _, want := range tc.stdout {
				if !strings.Contains(res.stdout, want) {
					t.Errorf("%q: stdout lacks %q:\n%s", tc.args, want, res.stdout)
				}
			}
			if tc.stderr == "" && res.stderr != "" || !strings.Contains(res.stderr, tc.stderr) {
				t.Errorf("%q: stderr %q, want %q", tc.args, res.stderr, tc.stderr)
			}
			if tc.code != 0 && res.stdout != "" {
				t.Errorf("%q: a failure printed on stdout: %q", tc.args, res.stdout)
			}
		})
	}
	if out := r.must("update", "--help"); strings.Contains(out, "kernel-memory") {
		t.Errorf("update --help lists the hidden kernel-memory flags:\n%s", out)
	}
	if entries, err := os.ReadDir(r.root); err != nil || len(entries) != 0 {
		t.Errorf("bad command lines left %v in the state root (%v)", entries, err)
	}
}

// TestFlagsAfterTheID: runc (urfave/cli) moves flags that follow the
// container id before it, except for exec, whose process keeps them.
func TestFlagsAfterTheID(t *testing.T) {
	r := newRT(t)
	b := r.bundle("sleep 300")
	pidFile := t.TempDir() + "/pid"
	r.must("create", r.name, "--bundle", b, "--pid-file="+pidFile)
	if pid, err := os.ReadFile(pidFile); err != nil || len(pid) == 0 {
		t.Fatalf("--pid-file after the id: %q %v", pid, err)
	}
	r.must("start", r.name)
	out := r.must("exec", "-e", "A=1,2", "--env=B=3", r.name, "sh", "-c", `echo "$A $B $0 $1"`, "--env", "-d")
	if out != "1,2 3 --env -d\n" {
		t.Errorf("exec passed %q, want the arguments after the id untouched", out)
	}
	r.must("kill", r.name, "KILL")
	waitFor(t, func() bool { return state(t, r).Status == specs.StateStopped })
	r.must("delete", r.name, "--force")
}
