package engine

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/cais-project/cais/internal/engine/etcfiles"
	"github.com/cais-project/cais/internal/errdefs"
)

// DNSOptions are a container's --dns, --dns-search, --dns-option,
// --add-host and --domainname, kept as the user typed them (normalized)
// so inspect shows Docker's HostConfig fields.
type DNSOptions struct {
	DNS        []string `json:"dns,omitempty"`
	DNSSearch  []string `json:"dnsSearch,omitempty"`
	DNSOptions []string `json:"dnsOptions,omitempty"`
	// ExtraHosts are "name:ip" or "name:host-gateway".
	ExtraHosts []string `json:"extraHosts,omitempty"`
	Domainname string   `json:"domainname,omitempty"`
}

// Validate checks every value, with Docker's messages; errors wrap
// errdefs.ErrInvalidArgument.
func (d DNSOptions) Validate() error {
	_, _, err := d.parse()
	return err
}

func (d DNSOptions) parse() ([]netip.Addr, []etcfiles.ExtraHost, error) {
	var ns []netip.Addr
	for _, s := range d.DNS {
		a, err := etcfiles.ParseNameserver(s)
		if err != nil {
			return nil, nil, fmt.Errorf("--dns: %w", err)
		}
		ns = append(ns, a)
	}
	for _, s := range d.DNSSearch {
		if err := etcfiles.ValidateSearch(s); err != nil {
			return nil, nil, fmt.Errorf("--dns-search: %w", err)
		}
	}
	for _, s := range d.DNSOptions {
		if err := etcfiles.ValidateOption(s); err != nil {
			return nil, nil, fmt.Errorf("--dns-option: %w", err)
		}
	}
	var hosts []etcfiles.ExtraHost
	for _, s := range d.ExtraHosts {
		h, err := etcfiles.ParseExtraHost(s)
		if err != nil {
			return nil, nil, fmt.Errorf("--add-host: %w", err)
		}
		hosts = append(hosts, h)
	}
	if d.Domainname != "" && !validHostname(d.Domainname) {
		return nil, nil, fmt.Errorf("invalid domainname %q: %w", d.Domainname, errdefs.ErrInvalidArgument)
	}
	return ns, hosts, nil
}

// normalized spells the values as inspect shows them: "name:ip" for
// "name=ip" or "name:[v6]", addresses in their canonical form. Values that
// do not parse are left as they are (Validate reports them).
func (d DNSOptions) normalized() DNSOptions {
	out := d
	out.DNS, out.ExtraHosts = nil, nil
	for _, s := range d.DNS {
		if a, err := etcfiles.ParseNameserver(s); err == nil {
			s = a.String()
		}
		out.DNS = append(out.DNS, s)
	}
	for _, s := range d.ExtraHosts {
		if h, err := etcfiles.ParseExtraHost(s); err == nil {
			s = h.String()
		}
		out.ExtraHosts = append(out.ExtraHosts, s)
	}
	return out
}

// validHostname: letters, digits, '-' and '.', at most 255 bytes, as the
// kernel and resolvers accept them.
func validHostname(s string) bool {
	if len(s) > 255 || s[0] == '-' || s[0] == '.' {
		return false
	}
	for _, r := range s {
		if !(r == '-' || r == '.' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// EtcNetwork is what the network side knows when a container's /etc files
// are written: its mode ("", "none", "host" or a network's name), its own
// addresses, the host's address on its network (what host-gateway means;
// invalid: the default route's source address), peers, and whether it has
// IPv6.
type EtcNetwork struct {
	Mode      string
	Addresses []netip.Addr
	Gateway   netip.Addr
	Peers     []etcfiles.Peer
	IPv6      bool
}

// Host files the container's /etc files come from; variables for tests.
var (
	hostHostsPath  = "/etc/hosts"
	hostResolvPath = "/etc/resolv.conf"
	// systemd-resolved's list of upstream servers, used (as Docker does)
	// when the host's resolv.conf only names its local stub.
	resolvedUpstreamPath = "/run/systemd/resolve/resolv.conf"
)

// etcPaths are the hosts, resolv.conf and hostname files in a container's
// run directory, in that order.
func etcPaths(dir string) [3]string {
	return [3]string{filepath.Join(dir, "hosts"), filepath.Join(dir, "resolv.conf"), filepath.Join(dir, "hostname")}
}

// WriteEtcFiles (re)writes hosts, resolv.conf and hostname in dir in place
// (they may be bind-mounted into a running container) and returns their
// paths. The network side calls it again with the container's addresses
// and peers on every connect and disconnect.
func WriteEtcFiles(dir, hostname string, d DNSOptions, n EtcNetwork) ([3]string, error) {
	paths := etcPaths(dir)
	ns, extra, err := d.parse()
	if err != nil {
		return paths, err
	}
	for i := range extra {
		if extra[i].HostGateway {
			if extra[i].IP, err = hostGateway(n.Gateway); err != nil {
				return paths, err
			}
		}
	}
	host := n.Mode == "host"
	ho := etcfiles.HostsOptions{Hostname: hostname, Domainname: d.Domainname, Addresses: n.Addresses,
		ExtraHosts: extra, Peers: n.Peers}
	if host {
		b, err := os.ReadFile(hostHostsPath)
		if err != nil {
			b = []byte{}
		}
		ho.Base = b
	}
	ro := etcfiles.ResolvOptions{Nameservers: ns, HostNetwork: host, IPv6: n.IPv6}
	if d.DNSSearch != nil {
		ro.Search = d.DNSSearch
	}
	if d.DNSOptions != nil {
		ro.Options = d.DNSOptions
	}
	resolv := hostResolvConf(host)
	for i, b := range [][]byte{etcfiles.Hosts(ho), etcfiles.ResolvConf(resolv, ro), []byte(hostname + "\n")} {
		if err := etcfiles.WriteInPlace(paths[i], b); err != nil {
			return paths, err
		}
	}
	return paths, nil
}

// hostResolvConf is the host's resolv.conf; off the host network, when it
// names only systemd-resolved's stub (127.0.0.53), resolved's upstream
// list instead, as Docker picks it.
func hostResolvConf(hostNetwork bool) []byte {
	b, err := os.ReadFile(hostResolvPath)
	if err != nil {
		return nil
	}
	if hostNetwork {
		return b
	}
	stubOnly := false
	for _, a := range etcfiles.Nameservers(b) {
		if a != netip.MustParseAddr("127.0.0.53") {
			return b
		}
		stubOnly = true
	}
	if stubOnly {
		if up, err := os.ReadFile(resolvedUpstreamPath); err == nil {
			return up
		}
	}
	return b
}

// hostGateway is the address host-gateway stands for: the host's address
// on the container's network when it has one, else the source address of
// the host's default route.
func hostGateway(gw netip.Addr) (netip.Addr, error) {
	if gw.IsValid() {
		return gw, nil
	}
	a, err := defaultRouteSource()
	if err != nil {
		return netip.Addr{}, fmt.Errorf("--add-host host-gateway: %w", err)
	}
	return a, nil
}
