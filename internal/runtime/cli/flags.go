package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// This file is cais-runtime's flag parser. It replaces cobra and pflag,
// whose package initialisation (text/template, regexp, net) every runtime
// process paid for, and accepts what runc's parser (urfave/cli v1 over Go's
// flag package) accepts, plus pflag's forms the runtime accepted before:
//
//   - a flag is `-name` or `--name`, for long names and single letters
//     alike; a value is `--name=value` or `--name value` (the next argument
//     is taken whatever it looks like, so `--cpu-quota -1` works);
//   - a bool flag takes no next argument: `--detach`, `--detach=false`;
//   - single letters combine: `-dt`, and the last one may take a value
//     (`-ufoo`, `-u foo`);
//   - `--` ends the flags; `-` alone is an argument;
//   - flags may follow arguments (urfave reorders them) unless the verb
//     passes what follows its first argument through (exec, ps).
//   - repeatable flags (`--env`, `--cap`) keep every value, unsplit.

// flagKind is the type of a flag's value.
type flagKind uint8

const (
	boolFlag flagKind = iota
	stringFlag
	intFlag
	durationFlag
	stringsFlag // repeatable
)

// flag is one flag: its names, its destination and whether it was given.
type flag struct {
	name    string // long name, without dashes
	short   string // one letter or ""
	kind    flagKind
	usage   string
	def     string // the default shown in help, "" for none
	hidden  bool
	changed bool

	b  *bool
	s  *string
	i  *int
	d  *time.Duration
	ss *[]string
}

// flagSet is the flags of one verb (or the global ones).
type flagSet struct {
	list []*flag
	// interspersed lets flags follow arguments; when false everything from
	// the first argument on is an argument.
	interspersed bool
	// aliases maps another spelling to a flag's name (--cpu-shares).
	aliases map[string]string
}

func newFlagSet() *flagSet { return &flagSet{interspersed: true} }

func (fs *flagSet) add(f *flag) *flag {
	fs.list = append(fs.list, f)
	return f
}

func (fs *flagSet) boolVar(p *bool, name, short, usage string) {
	fs.add(&flag{name: name, short: short, kind: boolFlag, usage: usage, b: p})
}

func (fs *flagSet) stringVar(p *string, name, short, def, usage string) {
	*p = def
	fs.add(&flag{name: name, short: short, kind: stringFlag, usage: usage, s: p, def: strconv.Quote(def)})
}

// string declares a string flag read back with value.
func (fs *flagSet) string(name, usage string) *flag {
	return fs.add(&flag{name: name, kind: stringFlag, usage: usage, s: new(string)})
}

func (fs *flagSet) intVar(p *int, name, short string, def int, usage string) {
	*p = def
	fs.add(&flag{name: name, short: short, kind: intFlag, usage: usage, i: p, def: strconv.Itoa(def)})
}

func (fs *flagSet) durationVar(p *time.Duration, name string, def time.Duration, usage string) {
	*p = def
	fs.add(&flag{name: name, kind: durationFlag, usage: usage, d: p, def: def.String()})
}

func (fs *flagSet) stringsVar(p *[]string, name, short, usage string) {
	fs.add(&flag{name: name, short: short, kind: stringsFlag, usage: usage, ss: p})
}

// alias makes other a second spelling of name.
func (fs *flagSet) alias(other, name string) {
	if fs.aliases == nil {
		fs.aliases = map[string]string{}
	}
	fs.aliases[other] = name
}

// lookup finds a flag by long name, alias or single letter.
func (fs *flagSet) lookup(name string) *flag {
	if fs == nil || name == "" {
		return nil
	}
	if n, ok := fs.aliases[name]; ok {
		name = n
	}
	for _, f := range fs.list {
		if f.name == name || (f.short != "" && f.short == name) {
			return f
		}
	}
	return nil
}

// value returns a string flag's value and whether it was given.
func (fs *flagSet) value(name string) (string, bool) {
	f := fs.lookup(name)
	if f == nil || !f.changed {
		return "", false
	}
	return *f.s, true
}

// errHelp is returned by parse when -h or --help was given.
var errHelp = errors.New("help requested")

// parse sets the flags found in args and returns the other arguments.
// Flags that fs does not define are looked up in fallback (the global
// flags, which cobra also accepted after the verb); fallback may be nil.
func (fs *flagSet) parse(args []string, fallback *flagSet) ([]string, error) {
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(rest, args[i+1:]...), nil
		}
		if len(a) < 2 || a[0] != '-' {
			if !fs.interspersed {
				return append(rest, args[i:]...), nil
			}
			rest = append(rest, a)
			continue
		}
		next := func() (string, bool) {
			if i+1 < len(args) {
				i++
				return args[i], true
			}
			return "", false
		}
		var err error
		if strings.HasPrefix(a, "--") {
			err = fs.parseLong(a, fallback, next)
		} else {
			err = fs.parseShort(a, fallback, next)
		}
		if err != nil {
			return nil, err
		}
	}
	return rest, nil
}

// parseLong handles --name, --name=value and --name value.
func (fs *flagSet) parseLong(a string, fallback *flagSet, next func() (string, bool)) error {
	name, value, hasValue := strings.Cut(a[2:], "=")
	f := fs.lookup(name)
	if f == nil {
		f = fallback.lookup(name)
	}
	if f == nil {
		if name == "help" || name == "h" {
			return errHelp
		}
		return fmt.Errorf("unknown flag: --%s", name)
	}
	return f.setFrom("--"+name, value, hasValue, next)
}

// parseShort handles -name (a long name with one dash, as Go's flag
// package allows), -x, -x value, -xvalue and combined letters -dt.
func (fs *flagSet) parseShort(a string, fallback *flagSet, next func() (string, bool)) error {
	body := a[1:]
	name, value, hasValue := strings.Cut(body, "=")
	if f := fs.lookup(name); f != nil || len(name) > 1 && fallback.lookup(name) != nil {
		if f == nil {
			f = fallback.lookup(name)
		}
		return f.setFrom("-"+name, value, hasValue, next)
	}
	if name == "help" {
		return errHelp
	}
	// Combined single letters: every one but the last must be a bool; a
	// letter that takes a value takes the rest of the argument or the next.
	for j := 0; j < len(body); j++ {
		c := body[j : j+1]
		f := fs.lookup(c)
		if f == nil {
			if c == "h" {
				return errHelp
			}
			return fmt.Errorf("unknown shorthand flag: %q in %s", c, a)
		}
		if f.kind == boolFlag {
			if j+1 < len(body) && body[j+1] == '=' {
				return f.setFrom("-"+c, body[j+2:], true, next)
			}
			f.set("-"+c, "true")
			continue
		}
		v := strings.TrimPrefix(body[j+1:], "=")
		return f.setFrom("-"+c, v, v != "", next)
	}
	return nil
}

// setFrom sets f from an inline value, or from the next argument when f
// takes one.
func (f *flag) setFrom(spelled, value string, hasValue bool, next func() (string, bool)) error {
	if !hasValue {
		if f.kind == boolFlag {
			return f.set(spelled, "true")
		}
		v, ok := next()
		if !ok {
			return fmt.Errorf("flag needs an argument: %s", spelled)
		}
		value = v
	}
	return f.set(spelled, value)
}

func (f *flag) set(spelled, v string) error {
	bad := func(err error) error {
		if ne, ok := err.(*strconv.NumError); ok {
			err = ne.Err
		}
		return fmt.Errorf("invalid argument %q for %q flag: %v", v, spelled, err)
	}
	switch f.kind {
	case boolFlag:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return bad(err)
		}
		*f.b = b
	case stringFlag:
		*f.s = v
	case intFlag:
		n, err := strconv.ParseInt(v, 0, strconv.IntSize)
		if err != nil {
			return bad(err)
		}
		*f.i = int(n)
	case durationFlag:
		d, err := time.ParseDuration(v)
		if err != nil {
			return bad(err)
		}
		*f.d = d
	case stringsFlag:
		*f.ss = append(*f.ss, v)
	}
	f.changed = true
	return nil
}
