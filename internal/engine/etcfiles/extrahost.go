package etcfiles

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/cais-project/cais/internal/errdefs"
)

// HostGateway is the --add-host value that stands for the host's address
// as the container sees it.
const HostGateway = "host-gateway"

// ExtraHost is one --add-host entry.
type ExtraHost struct {
	Name string
	// IP is the address; it is not valid while HostGateway is set and the
	// caller has not resolved it.
	IP netip.Addr
	// HostGateway says the user wrote "host-gateway".
	HostGateway bool
}

// String is the entry as Docker's HostConfig.ExtraHosts shows it:
// "name:ip" or "name:host-gateway".
func (h ExtraHost) String() string {
	if h.HostGateway {
		return h.Name + ":" + HostGateway
	}
	return h.Name + ":" + h.IP.String()
}

// ParseExtraHost reads "name:ip", "name=ip", "name:[ipv6]" or
// "name:host-gateway", as Docker's --add-host does. Errors wrap
// errdefs.ErrInvalidArgument and carry Docker's wording.
func ParseExtraHost(s string) (ExtraHost, error) {
	name, addr, ok := strings.Cut(s, "=")
	if !ok {
		name, addr, ok = strings.Cut(s, ":")
	}
	if !ok || name == "" || strings.Contains(name, ":") || strings.ContainsAny(name, " \t\n") {
		return ExtraHost{}, fmt.Errorf("bad format for add-host: %q: %w", s, errdefs.ErrInvalidArgument)
	}
	if addr == HostGateway {
		return ExtraHost{Name: name, HostGateway: true}, nil
	}
	if len(addr) > 2 && addr[0] == '[' && addr[len(addr)-1] == ']' {
		addr = addr[1 : len(addr)-1]
	}
	ip, err := parseIP(addr)
	if err != nil {
		return ExtraHost{}, fmt.Errorf("invalid IP address in add-host: %q: %w", addr, errdefs.ErrInvalidArgument)
	}
	return ExtraHost{Name: name, IP: ip}, nil
}

// ParseNameserver reads a --dns address (IPv4 or IPv6, no zone).
func ParseNameserver(s string) (netip.Addr, error) {
	ip, err := parseIP(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("IP address is not correctly formatted: %s: %w", s, errdefs.ErrInvalidArgument)
	}
	return ip, nil
}

func parseIP(s string) (netip.Addr, error) {
	ip, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return netip.Addr{}, err
	}
	if ip.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("zone not allowed")
	}
	return ip.Unmap(), nil
}

// ValidateSearch checks a --dns-search domain: "." (no search list) or a
// name without blanks, at most 255 characters, as Docker checks it.
func ValidateSearch(s string) error {
	d := strings.TrimSuffix(s, ".")
	if s == "." {
		return nil
	}
	if d == "" || strings.HasPrefix(d, ".") || strings.HasPrefix(d, "-") || len(d) > 255 || strings.ContainsAny(d, " \t\n:/") {
		return fmt.Errorf("%s is not a valid domain: %w", s, errdefs.ErrInvalidArgument)
	}
	return nil
}

// ValidateOption checks a --dns-option: one word, no blanks.
func ValidateOption(s string) error {
	if s == "" || strings.ContainsAny(s, " \t\n") {
		return fmt.Errorf("invalid DNS option %q: %w", s, errdefs.ErrInvalidArgument)
	}
	return nil
}
