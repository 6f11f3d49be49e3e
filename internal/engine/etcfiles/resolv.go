package etcfiles

import (
	"bufio"
	"bytes"
	"net/netip"
	"strings"
	"sync"
)

// ResolvOptions change the host's resolv.conf for a container.
type ResolvOptions struct {
	// Nameservers replace the host's (--dns); they are kept as given,
	// loopback ones included (the user may run a resolver inside).
	Nameservers []netip.Addr
	// Search replaces the host's search domains (--dns-search) when not
	// nil; "." alone means none.
	Search []string
	// Options replace the host's options (--dns-option) when not nil.
	Options []string
	// HostNetwork is --network host: the host's nameservers are reachable,
	// and without flags the host's file is used byte for byte.
	HostNetwork bool
	// IPv6 says the container can reach IPv6 nameservers; without it they
	// are removed from the host's list, as Docker does.
	IPv6 bool
}

// Docker's fallback nameservers, written in the file when the host's list
// has none a container can reach. Nothing here contacts them.
// They are built on first use, not at package initialisation.
var (
	fallbackV4 = sync.OnceValue(func() []netip.Addr {
		return []netip.Addr{netip.AddrFrom4([4]byte{8, 8, 8, 8}), netip.AddrFrom4([4]byte{8, 8, 4, 4})}
	})
	fallbackV6 = sync.OnceValue(func() []netip.Addr {
		return []netip.Addr{netip.MustParseAddr("2001:4860:4860::8888"), netip.MustParseAddr("2001:4860:4860::8844")}
	})
)

// ResolvConf renders a container's resolv.conf from the host's, with
// Docker's rules: nameserver, search (the last one; "domain" counts as
// search) and options (accumulated) are read, unparsable nameservers and
// comments dropped, other directives kept; flags replace what they name.
// Unless the container shares the host's network, nameservers that came
// from the host are dropped when loopback (127.0.0.0/8, ::1: the host's
// resolver is not reachable from the container) or IPv6 without IPv6, and
// when none remain Docker's fallback (8.8.8.8, 8.8.4.4, and Google's IPv6
// pair with IPv6) is written. The output is nameservers, search, options,
// then the other lines.
func ResolvConf(host []byte, o ResolvOptions) []byte {
	flags := o.Nameservers != nil || o.Search != nil || o.Options != nil
	if o.HostNetwork && !flags {
		return bytes.Clone(host)
	}
	rc := parseResolv(host)
	if o.Nameservers != nil {
		rc.nameservers = o.Nameservers
	} else if !o.HostNetwork {
		var kept []netip.Addr
		for _, a := range rc.nameservers {
			if !a.IsLoopback() && (o.IPv6 || !a.Is6()) {
				kept = append(kept, a)
			}
		}
		if len(kept) == 0 {
			kept = append(kept, fallbackV4()...)
			if o.IPv6 {
				kept = append(kept, fallbackV6()...)
			}
		}
		rc.nameservers = kept
	}
	if o.Search != nil {
		rc.search = nil
		for _, s := range o.Search {
			if s != "." {
				rc.search = append(rc.search, s)
			}
		}
	}
	if o.Options != nil {
		rc.options = o.Options
	}
	return rc.render()
}

type resolv struct {
	nameservers []netip.Addr
	search      []string
	options     []string
	other       []string
}

func parseResolv(b []byte) resolv {
	var rc resolv
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		if len(f) == 0 || f[0][0] == '#' || f[0][0] == ';' {
			continue
		}
		switch f[0] {
		case "nameserver":
			if len(f) > 1 {
				if a, err := netip.ParseAddr(f[1]); err == nil {
					rc.nameservers = append(rc.nameservers, a)
				}
			}
		case "domain", "search":
			if len(f) > 1 {
				rc.search = f[1:]
			}
		case "options":
			rc.options = append(rc.options, f[1:]...)
		default:
			rc.other = append(rc.other, line)
		}
	}
	return rc
}

func (rc resolv) render() []byte {
	var b bytes.Buffer
	for _, a := range rc.nameservers {
		b.WriteString("nameserver " + a.String() + "\n")
	}
	if len(rc.search) > 0 {
		b.WriteString("search " + strings.Join(rc.search, " ") + "\n")
	}
	if len(rc.options) > 0 {
		b.WriteString("options " + strings.Join(rc.options, " ") + "\n")
	}
	for _, l := range rc.other {
		b.WriteString(l + "\n")
	}
	return b.Bytes()
}

// Nameservers are the addresses a resolv.conf names, in order.
func Nameservers(b []byte) []netip.Addr {
	return parseResolv(b).nameservers
}
