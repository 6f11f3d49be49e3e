package cli

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// testFlags is a verb's flag set with one flag of each kind, and a global
// set to fall back on.
type testFlags struct {
	fs, global         *flagSet
	bundle, user, root string
	detach, tty, debug bool
	fds                int
	interval           time.Duration
	env                []string
	cpuShare           *flag
}

func newTestFlags(interspersed bool) *testFlags {
	t := &testFlags{fs: newFlagSet(), global: newFlagSet()}
	t.fs.interspersed = interspersed
	t.fs.stringVar(&t.bundle, "bundle", "b", "", "")
	t.fs.stringVar(&t.user, "user", "u", "", "")
	t.fs.boolVar(&t.detach, "detach", "d", "")
	t.fs.boolVar(&t.tty, "tty", "t", "")
	t.fs.intVar(&t.fds, "preserve-fds", "", 0, "")
	t.fs.durationVar(&t.interval, "interval", 5*time.Second, "")
	t.fs.stringsVar(&t.env, "env", "e", "")
	t.cpuShare = t.fs.string("cpu-share", "")
	t.fs.alias("cpu-shares", "cpu-share")
	t.global.stringVar(&t.root, "root", "", "/run/x", "")
	t.global.boolVar(&t.debug, "debug", "", "")
	return t
}

// TestFlagForms: every spelling runc (Go's flag package under urfave/cli)
// or the runtime's former pflag parser accepted sets the same flag.
func TestFlagForms(t *testing.T) {
	tests := []struct {
		name         string
		args         []string
		interspersed bool
		want         func(*testFlags) bool
		rest         []string
	}{
		{"long with space", []string{"--bundle", "/b", "id"}, true, func(f *testFlags) bool { return f.bundle == "/b" }, []string{"id"}},
		{"long with =", []string{"--bundle=/b", "id"}, true, func(f *testFlags) bool { return f.bundle == "/b" }, []string{"id"}},
		{"long with one dash", []string{"-bundle", "/b", "id"}, true, func(f *testFlags) bool { return f.bundle == "/b" }, []string{"id"}},
		{"short with space", []string{"-b", "/b", "id"}, true, func(f *testFlags) bool { return f.bundle == "/b" }, []string{"id"}},
		{"short with =", []string{"-b=/b", "id"}, true, func(f *testFlags) bool { return f.bundle == "/b" }, []string{"id"}},
		{"short glued", []string{"-b/b", "id"}, true, func(f *testFlags) bool { return f.bundle == "/b" }, []string{"id"}},
		{"short with two dashes", []string{"--b", "/b", "id"}, true, func(f *testFlags) bool { return f.bundle == "/b" }, []string{"id"}},
		{"flags after the argument", []string{"id", "--bundle", "/b", "-d"}, true, func(f *testFlags) bool { return f.bundle == "/b" && f.detach }, []string{"id"}},
		{"value that looks like a flag", []string{"--user", "-1", "id"}, true, func(f *testFlags) bool { return f.user == "-1" }, []string{"id"}},
		{"bool", []string{"--detach", "id"}, true, func(f *testFlags) bool { return f.detach }, []string{"id"}},
		{"bool =false", []string{"--detach=false", "id"}, true, func(f *testFlags) bool { return !f.detach }, []string{"id"}},
		{"bool takes no next argument", []string{"-d", "false"}, true, func(f *testFlags) bool { return f.detach }, []string{"false"}},
		{"combined shorts", []string{"-dt", "id"}, true, func(f *testFlags) bool { return f.detach && f.tty }, []string{"id"}},
		{"combined shorts ending in a value", []string{"-dtu", "1000", "id"}, true, func(f *testFlags) bool { return f.detach && f.tty && f.user == "1000" }, []string{"id"}},
		{"int", []string{"--preserve-fds", "2", "id"}, true, func(f *testFlags) bool { return f.fds == 2 }, []string{"id"}},
		{"duration default", []string{"id"}, true, func(f *testFlags) bool { return f.interval == 5*time.Second }, []string{"id"}},
		{"duration", []string{"--interval", "100ms", "id"}, true, func(f *testFlags) bool { return f.interval == 100*time.Millisecond }, []string{"id"}},
		{"repeated, unsplit", []string{"-e", "A=1,2", "--env", "B=2", "--env=C=3", "id"}, true,
			func(f *testFlags) bool { return slices.Equal(f.env, []string{"A=1,2", "B=2", "C=3"}) }, []string{"id"}},
		{"alias", []string{"--cpu-shares", "512", "id"}, true, func(f *testFlags) bool { return f.fs.mustValue("cpu-share") == "512" }, []string{"id"}},
		{"-- ends the flags", []string{"--", "-d", "id"}, true, func(f *testFlags) bool { return !f.detach }, []string{"-d", "id"}},
		{"- is an argument", []string{"-", "-d"}, true, func(f *testFlags) bool { return f.detach }, []string{"-"}},
		{"global flag after the verb", []string{"--root", "/r", "--debug", "id"}, true, func(f *testFlags) bool { return f.root == "/r" && f.debug }, []string{"id"}},
		{"not interspersed: the rest is passed through", []string{"-t", "id", "sh", "-c", "echo -d --bundle x", "--env", "X"}, false,
			func(f *testFlags) bool { return f.tty && !f.detach && f.bundle == "" && f.env == nil },
			[]string{"id", "sh", "-c", "echo -d --bundle x", "--env", "X"}},
		{"not interspersed: -- after the id stays", []string{"id", "--", "-ef"}, false, func(*testFlags) bool { return true }, []string{"id", "--", "-ef"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newTestFlags(tc.interspersed)
			rest, err := f.fs.parse(tc.args, f.global)
			if err != nil {
				t.Fatalf("parse(%q): %v", tc.args, err)
			}
			if !slices.Equal(rest, tc.rest) {
				t.Errorf("parse(%q) arguments %q, want %q", tc.args, rest, tc.rest)
			}
			if !tc.want(f) {
				t.Errorf("parse(%q) set %+v", tc.args, *f)
			}
		})
	}
}

func (fs *flagSet) mustValue(name string) string {
	v, _ := fs.value(name)
	return v
}

func TestFlagErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--bogus", "id"}, "unknown flag: --bogus"},
		{[]string{"-x", "id"}, `unknown shorthand flag: "x" in -x`},
		{[]string{"-dx", "id"}, `unknown shorthand flag: "x" in -dx`},
		{[]string{"id", "--bundle"}, "flag needs an argument: --bundle"},
		{[]string{"-b"}, "flag needs an argument: -b"},
		{[]string{"--preserve-fds", "two", "id"}, `invalid argument "two" for "--preserve-fds" flag: invalid syntax`},
		{[]string{"--detach=maybe", "id"}, `invalid argument "maybe" for "--detach" flag: invalid syntax`},
		{[]string{"--interval", "5", "id"}, `invalid argument "5" for "--interval" flag`},
	}
	for _, tc := range tests {
		f := newTestFlags(true)
		_, err := f.fs.parse(tc.args, f.global)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parse(%q) error = %v, want %q", tc.args, err, tc.want)
		}
	}
	for _, help := range [][]string{{"--help"}, {"-h"}, {"id", "-help"}, {"-dh"}} {
		f := newTestFlags(true)
		if _, err := f.fs.parse(help, f.global); err != errHelp {
			t.Errorf("parse(%q) error = %v, want the help request", help, err)
		}
	}
	// The value of a value flag may be "--help".
	f := newTestFlags(true)
	if _, err := f.fs.parse([]string{"--user", "--help", "id"}, f.global); err != nil || f.user != "--help" {
		t.Errorf("--user --help: %v, user %q", err, f.user)
	}
}

func TestArgRules(t *testing.T) {
	for _, tc := range []struct {
		rule argRule
		n    int
		ok   bool
	}{
		{exactArgs(1), 1, true}, {exactArgs(1), 0, false}, {exactArgs(1), 2, false},
		{minArgs(1), 5, true}, {minArgs(1), 0, false},
		{rangeArgs(1, 2), 2, true}, {rangeArgs(1, 2), 3, false},
		{noArgs, 0, true}, {noArgs, 1, false},
	} {
		if err := tc.rule.check("verb", tc.n); (err == nil) != tc.ok {
			t.Errorf("%+v with %d arguments: %v", tc.rule, tc.n, err)
		}
	}
}
