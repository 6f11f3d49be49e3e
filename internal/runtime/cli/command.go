package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// command is one verb: its usage line, its flags, how many arguments it
// takes and what it does.
type command struct {
	use     string // "create [flags] CONTAINER_ID": the verb, then the rest
	aliases []string
	short   string
	long    string // help text when longer than short
	args    argRule
	flags   *flagSet
	// raw verbs parse nothing: checkpoint and restore accept runc's flags
	// without knowing them, to refuse the verb itself.
	raw bool
	run func(c *call) error
}

// call is what a verb's run gets: its arguments and streams.
type call struct {
	ctx    context.Context
	args   []string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	flags  *flagSet
}

// argRule bounds the number of arguments after the flags; max < 0 means
// no limit.
type argRule struct{ min, max int }

func exactArgs(n int) argRule    { return argRule{n, n} }
func minArgs(n int) argRule      { return argRule{n, -1} }
func rangeArgs(a, b int) argRule { return argRule{a, b} }

var noArgs = argRule{0, 0}

func (r argRule) check(verb string, n int) error {
	switch {
	case r.min == r.max && n != r.min:
		return fmt.Errorf("%q requires exactly %d argument(s), received %d", verb, r.min, n)
	case n < r.min:
		return fmt.Errorf("%q requires at least %d argument(s), received %d", verb, r.min, n)
	case r.max >= 0 && n > r.max:
		return fmt.Errorf("%q accepts at most %d argument(s), received %d", verb, r.max, n)
	}
	return nil
}

func newCommand(use, short string, args argRule, run func(c *call) error) *command {
	return &command{use: use, short: short, args: args, flags: newFlagSet(), run: run}
}

func (c *command) name() string {
	verb, _, _ := strings.Cut(c.use, " ")
	return verb
}

// find returns the verb called name (or one of its aliases), nil if none.
func find(cmds []*command, name string) *command {
	for _, c := range cmds {
		if c.name() == name {
			return c
		}
		for _, a := range c.aliases {
			if a == name {
				return c
			}
		}
	}
	return nil
}

// printHelp writes a verb's help.
func (c *command) printHelp(w io.Writer) {
	text := c.long
	if text == "" {
		text = c.short
	}
	fmt.Fprintf(w, "%s\n\nUsage:\n  cais-runtime %s\n", text, c.use)
	if len(c.aliases) > 0 {
		fmt.Fprintf(w, "\nAliases:\n  %s\n", strings.Join(append([]string{c.name()}, c.aliases...), ", "))
	}
	if !c.raw {
		fmt.Fprint(w, "\nFlags:\n")
		printFlags(w, c.flags, helpFlag)
	}
}

// printRootHelp writes the help of cais-runtime itself.
func printRootHelp(w io.Writer, cmds []*command, root *flagSet) {
	fmt.Fprint(w, "cais-runtime runs OCI containers (runc-compatible command line)\n\n"+
		"Usage:\n  cais-runtime [global flags] COMMAND [flags] [arguments]\n\nCommands:\n")
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, c := range cmds {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name(), c.short)
	}
	fmt.Fprintf(tw, "  help\tprint the help of cais-runtime or of a command\n")
	tw.Flush()
	fmt.Fprint(w, "\nGlobal flags:\n")
	printFlags(w, root, helpFlag)
	fmt.Fprint(w, "\nRun 'cais-runtime COMMAND --help' for a command's flags.\n")
}

// helpFlag is listed in every help; parse answers it with errHelp.
var helpFlag = &flag{name: "help", short: "h", kind: boolFlag, usage: "print this help", b: new(bool)}

func printFlags(w io.Writer, fs *flagSet, extra ...*flag) {
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	for _, f := range append(append([]*flag(nil), fs.list...), extra...) {
		if f.hidden {
			continue
		}
		names := "    --" + f.name
		if f.short != "" {
			names = "-" + f.short + ", --" + f.name
		}
		fmt.Fprintf(tw, "  %s%s\t%s%s\n", names, f.typeName(), f.usage, f.defaultText())
	}
	tw.Flush()
}

func (f *flag) typeName() string {
	switch f.kind {
	case stringFlag, stringsFlag:
		return " string"
	case intFlag:
		return " int"
	case durationFlag:
		return " duration"
	}
	return ""
}

// defaultText shows a value flag's default as declared, not as parsed.
func (f *flag) defaultText() string {
	switch f.def {
	case "", `""`, "0", "0s":
		return ""
	}
	return " (default " + f.def + ")"
}
