package cli

import (
	"bytes"
	"encoding/csv"
	"strings"

	"github.com/spf13/pflag"
)

// stringList is a repeatable string flag that behaves as pflag's
// StringArray (each value kept whole, commas included; the first value
// given replaces the default) and reports the same type name, so help reads
// the same. It exists because pflag renders every StringArray's default
// through a csv writer when the flag is registered, for every command
// whichever one runs; an empty list here renders as "" without that work.
type stringList struct {
	vals    *[]string
	changed bool
}

// stringListVarP registers a stringList flag on f with no default.
func stringListVarP(f *pflag.FlagSet, p *[]string, name, shorthand, usage string) {
	*p = nil
	f.VarP(&stringList{vals: p}, name, shorthand, usage)
}

// stringListVar is stringListVarP without a shorthand.
func stringListVar(f *pflag.FlagSet, p *[]string, name, usage string) {
	stringListVarP(f, p, name, "", usage)
}

func (l *stringList) Set(s string) error {
	if !l.changed {
		*l.vals = nil
		l.changed = true
	}
	*l.vals = append(*l.vals, s)
	return nil
}

func (l *stringList) Type() string { return "stringArray" }

// String is "" for an empty list, which pflag takes as a zero default and
// leaves out of help, as it does for an empty StringArray. A non-empty list
// renders as pflag's does: "[" + a csv record + "]".
func (l *stringList) String() string {
	if l.vals == nil || len(*l.vals) == 0 {
		return ""
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(*l.vals) // writes to a bytes.Buffer do not fail
	w.Flush()
	return "[" + strings.TrimSuffix(b.String(), "\n") + "]"
}

// Append, Replace and GetSlice make it a pflag.SliceValue, as StringArray
// is (cobra's completion asks for it).
func (l *stringList) Append(s string) error {
	*l.vals = append(*l.vals, s)
	return nil
}

func (l *stringList) Replace(vals []string) error {
	*l.vals = append([]string(nil), vals...)
	return nil
}

func (l *stringList) GetSlice() []string { return append([]string(nil), *l.vals...) }
