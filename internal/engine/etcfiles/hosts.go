package etcfiles

import (
	"bytes"
	"net/netip"
	"slices"
	"strings"
	"sync"
)

// HostsOptions describe a container's /etc/hosts.
type HostsOptions struct {
	// Hostname and Domainname name the container; its record lists the
	// FQDN (hostname.domainname) and, when the FQDN has a dot, the bare
	// host name, as Docker does.
	Hostname, Domainname string
	// Addresses are the container's own addresses on its networks, one
	// record each, in this order. None (--network none) means no record,
	// as Docker writes it.
	Addresses []netip.Addr
	// ExtraHosts are --add-host entries, in the order given, with
	// "host-gateway" already resolved to an address by the caller.
	ExtraHosts []ExtraHost
	// Peers are other containers on the same networks.
	Peers []Peer
	// NoIPv6 leaves out the IPv6 localhost lines and IPv6 entries, as
	// Docker does for a container with IPv6 disabled.
	NoIPv6 bool
	// Base, when not nil, is the host's /etc/hosts (--network host): it is
	// kept as is, and only ExtraHosts are appended to it.
	Base []byte
}

// Peer is another container reachable on a shared network: its address and
// the names it answers to (container name, aliases, short ID).
type Peer struct {
	IP    netip.Addr
	Names []string
}

type record struct {
	ip    netip.Addr
	hosts string
}

// The localhost records are built on first use (sync.OnceValue), not at
// package initialisation, which every cais process pays for, including
// those that never write a hosts file.
var (
	localhostV4 = sync.OnceValue(func() []record { return []record{{netip.AddrFrom4([4]byte{127, 0, 0, 1}), "localhost"}} })
	localhostV6 = sync.OnceValue(func() []record {
		return []record{
			{netip.IPv6Loopback(), "localhost ip6-localhost ip6-loopback"},
			{netip.MustParseAddr("fe00::"), "ip6-localnet"},
			{netip.MustParseAddr("ff00::"), "ip6-mcastprefix"},
			{netip.MustParseAddr("ff02::1"), "ip6-allnodes"},
			{netip.MustParseAddr("ff02::2"), "ip6-allrouters"},
		}
	})
)

// Hosts renders /etc/hosts: Docker's localhost lines, the --add-host
// entries, the container's own record for each of its addresses, then the
// peers ordered by address (then by their first name). Invalid addresses
// are skipped.
func Hosts(o HostsOptions) []byte {
	var recs []record
	if o.Base == nil {
		recs = append(recs, localhostV4()...)
		if !o.NoIPv6 {
			recs = append(recs, localhostV6()...)
		}
	}
	for _, h := range o.ExtraHosts {
		recs = append(recs, record{h.IP, h.Name})
	}
	if o.Base == nil {
		if names := ownNames(o.Hostname, o.Domainname); names != "" {
			for _, a := range o.Addresses {
				recs = append(recs, record{a, names})
			}
		}
		recs = append(recs, peerRecords(o.Peers)...)
	}
	var b bytes.Buffer
	b.Write(o.Base)
	if len(o.Base) > 0 && o.Base[len(o.Base)-1] != '\n' {
		b.WriteByte('\n')
	}
	for _, r := range recs {
		if !r.ip.IsValid() || r.hosts == "" || (o.NoIPv6 && r.ip.Is6() && !r.ip.Is4In6()) {
			continue
		}
		b.WriteString(r.ip.String())
		b.WriteByte('\t')
		b.WriteString(r.hosts)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// ownNames is "fqdn host" (or just the name when it has no dot).
func ownNames(hostname, domainname string) string {
	fqdn := hostname
	if domainname != "" && hostname != "" {
		fqdn += "." + domainname
	}
	if short, _, ok := strings.Cut(fqdn, "."); ok && short != "" {
		return fqdn + " " + short
	}
	return fqdn
}

func peerRecords(peers []Peer) []record {
	ps := slices.Clone(peers)
	slices.SortStableFunc(ps, func(a, b Peer) int {
		if c := a.IP.Compare(b.IP); c != 0 {
			return c
		}
		return strings.Compare(strings.Join(a.Names, " "), strings.Join(b.Names, " "))
	})
	var out []record
	for _, p := range ps {
		var names []string
		for _, n := range p.Names {
			if n != "" && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
		out = append(out, record{p.IP, strings.Join(names, " ")})
	}
	return out
}
