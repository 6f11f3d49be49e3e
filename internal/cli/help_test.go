package cli_test

import (
	"strings"
	"testing"
)

// TestHelpAndUnknownCommands checks help, usage errors and unknown-command
// errors through the binary, with and without the whole command tree (cais
// builds only the branch a command line names): Docker's messages and exit
// codes, subcommands listed in group help, flags listed in a command's help.
func TestHelpAndUnknownCommands(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stream string // "out" or "err"
		want   []string
	}{
		{"unknown command", []string{"fo"}, 125, "err", []string{`cais: unknown command "fo" for "cais"`, "Did you mean this?", "\tinfo"}},
		{"unknown command near run", []string{"rnu"}, 125, "err", []string{`unknown command "rnu" for "cais"`, "\trun"}},
		// cobra shows a group's help for a word it does not know, as before.
		{"unknown subcommand", []string{"container", "fo"}, 0, "out", []string{"Usage:\n  cais container [command]", "  stop "}},
		{"unknown flag", []string{"image", "list", "--bogus"}, 125, "err", []string{"cais: unknown flag: --bogus", "See 'cais image ls --help'"}},
		{"root flag before an unknown flag", []string{"--log-level", "error", "ps", "--bogus"}, 125, "err", []string{"unknown flag: --bogus", "See 'cais ps --help'"}},
		{"missing arguments", []string{"run"}, 1, "err", []string{`"cais run" requires at least 1 argument`, "See 'cais run --help'"}},
		{"missing arguments in a group", []string{"container", "run"}, 1, "err", []string{`"cais container run" requires at least 1 argument`}},
		{"root help", []string{"--help"}, 0, "out", []string{"Available Commands:", "  container ", "  image ", "  run ", "  ps ", "  volume ", "  completion "}},
		{"help command", []string{"help", "run"}, 0, "out", []string{"Usage:\n  cais run [OPTIONS] IMAGE"}},
		{"group help", []string{"container", "--help"}, 0, "out", []string{"  stop ", "  run ", "  inspect "}},
		{"group without subcommand", []string{"image"}, 0, "out", []string{"Available Commands:", "  ls ", "  pull "}},
		{"command help", []string{"run", "--help"}, 0, "out", []string{"Usage:", "  -e, --env stringArray ", "Global Flags:", "      --root string "}},
		{"command help after arguments", []string{"container", "cleanup", "x", "-h"}, 0, "out", []string{"Usage:\n  cais container cleanup"}},
		{"version", []string{"--version"}, 0, "out", []string{"cais version "}},
		{"ps on an empty root", []string{"ps", "-a"}, 0, "out", []string{"CONTAINER ID   IMAGE"}},
	} {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			r := e.run(tc.args...)
			got := r.stdout
			if tc.stream == "err" {
				got = r.stderr
			}
			if r.code != tc.code {
				t.Errorf("cais %v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", tc.args, r.code, tc.code, r.stdout, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("cais %v: std%s lacks %q:\n%s", tc.args, tc.stream, w, got)
				}
			}
		})
	}
}
