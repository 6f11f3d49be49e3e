package cli

import (
	"errors"
	"strings"

	"github.com/spf13/pflag"

	"github.com/cais-project/cais/internal/engine"
	"github.com/cais-project/cais/internal/engine/etcfiles"
	"github.com/cais-project/cais/internal/errdefs"
)

// registerDNSFlags adds Docker's --dns, --dns-search, --dns-option,
// --add-host and --domainname to create and run. Each value is checked
// when parsed, so a bad one fails with Docker's "invalid argument ... for
// ... flag" and exit 125 before anything exists.
func registerDNSFlags(f *pflag.FlagSet, d *engine.DNSOptions) {
	f.Var(&checkedList{vals: &d.DNS, check: func(s string) (string, error) {
		a, err := etcfiles.ParseNameserver(s)
		return a.String(), err
	}}, "dns", "set custom DNS servers (repeatable)")
	f.Var(&checkedList{vals: &d.DNSSearch, check: func(s string) (string, error) {
		return s, etcfiles.ValidateSearch(s)
	}}, "dns-search", `set custom DNS search domains ("." for none; repeatable)`)
	f.Var(&checkedList{vals: &d.DNSOptions, check: func(s string) (string, error) {
		return s, etcfiles.ValidateOption(s)
	}}, "dns-option", "set DNS options (repeatable)")
	f.Var(&checkedList{vals: &d.ExtraHosts, check: func(s string) (string, error) {
		h, err := etcfiles.ParseExtraHost(s)
		return h.String(), err
	}}, "add-host", `add a custom host-to-IP mapping ("host:ip", "host:host-gateway"; repeatable)`)
	f.StringVar(&d.Domainname, "domainname", "", "container NIS domain name")
}

// checkedList is a repeatable flag whose values are checked and
// normalized as they are parsed.
type checkedList struct {
	vals  *[]string
	check func(string) (string, error)
}

func (l *checkedList) Set(s string) error {
	v, err := l.check(s)
	if err != nil {
		// The class is for the engine's callers; the flag error says it.
		return errors.New(strings.TrimSuffix(err.Error(), ": "+errdefs.ErrInvalidArgument.Error()))
	}
	*l.vals = append(*l.vals, v)
	return nil
}

func (l *checkedList) String() string {
	if l.vals == nil || len(*l.vals) == 0 {
		return "" // help then shows no "(default [])", as Docker's
	}
	return "[" + strings.Join(*l.vals, ",") + "]"
}

func (l *checkedList) Type() string { return "list" }
