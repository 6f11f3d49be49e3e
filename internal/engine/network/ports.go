package network

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/cais-project/cais/internal/errdefs"
)

// PortMapping is one published port. HostPort 0 means "any free one"
// until Resolve picks it.
type PortMapping struct {
	HostIP        string `json:"hostIP,omitempty"`
	HostPort      int    `json:"hostPort"`
	ContainerPort int    `json:"containerPort"`
	Protocol      string `json:"protocol"`
}

// Key is Docker's "80/tcp".
func (p PortMapping) Key() string { return fmt.Sprintf("%d/%s", p.ContainerPort, p.Protocol) }

// ParsePublish parses one -p value: [ip:][hostPort[-end]:]containerPort[-end][/tcp|udp].
func ParsePublish(s string) ([]PortMapping, error) {
	bad := func(why string) error {
		return fmt.Errorf("invalid publish spec %q: %s: %w", s, why, errdefs.ErrInvalidArgument)
	}
	rest, proto := s, "tcp"
	if i := strings.LastIndex(s, "/"); i >= 0 {
		rest, proto = s[:i], strings.ToLower(s[i+1:])
		if proto != "tcp" && proto != "udp" {
			return nil, bad("protocol must be tcp or udp")
		}
	}
	var ip, host, ctr string
	if i := strings.LastIndex(rest, ":"); i >= 0 {
		ctr = rest[i+1:]
		head := rest[:i]
		if j := strings.LastIndex(head, ":"); j >= 0 {
			ip, host = strings.Trim(head[:j], "[]"), head[j+1:]
		} else {
			host = head
		}
	} else {
		ctr = rest
	}
	if ip != "" {
		a, err := netip.ParseAddr(ip)
		if err != nil || !a.Is4() {
			return nil, bad("host IP must be an IPv4 address")
		}
	}
	cLo, cHi, err := portRange(ctr)
	if err != nil {
		return nil, bad("container port: " + err.Error())
	}
	hLo, hHi := 0, 0
	if host != "" {
		if hLo, hHi, err = portRange(host); err != nil {
			return nil, bad("host port: " + err.Error())
		}
		if hHi-hLo != cHi-cLo {
			return nil, bad("host and container port ranges differ in size")
		}
	}
	var out []PortMapping
	for k := 0; k <= cHi-cLo; k++ {
		hp := 0
		if hLo != 0 {
			hp = hLo + k
		}
		out = append(out, PortMapping{HostIP: ip, HostPort: hp, ContainerPort: cLo + k, Protocol: proto})
	}
	return out, nil
}

func portRange(s string) (int, int, error) {
	lo, hi, isRange := strings.Cut(s, "-")
	a, err := port(lo)
	if err != nil {
		return 0, 0, err
	}
	if !isRange {
		return a, a, nil
	}
	b, err := port(hi)
	if err != nil {
		return 0, 0, err
	}
	if b < a {
		return 0, 0, fmt.Errorf("range %s ends before it starts", s)
	}
	return a, b, nil
}

func port(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("%q is not a port number (1-65535)", s)
	}
	return n, nil
}

// ParseExposed turns an image's ExposedPorts key ("80/tcp", "53/udp",
// "8000-8002") into mappings to random host ports.
func ParseExposed(key string) ([]PortMapping, error) {
	return ParsePublish(key)
}

// ResolveHostPorts gives every mapping without a host port a free one,
// asking the kernel (bind to port 0) on the mapping's host IP.
func ResolveHostPorts(ps []PortMapping) error {
	for i := range ps {
		if ps[i].HostPort != 0 {
			continue
		}
		ip := ps[i].HostIP
		if ip == "" {
			ip = "0.0.0.0"
		}
		addr := net.JoinHostPort(ip, "0")
		if ps[i].Protocol == "udp" {
			c, err := net.ListenPacket("udp4", addr)
			if err != nil {
				return fmt.Errorf("finding a free udp port on %s: %w", ip, err)
			}
			ps[i].HostPort = c.LocalAddr().(*net.UDPAddr).Port
			c.Close()
			continue
		}
		l, err := net.Listen("tcp4", addr)
		if err != nil {
			return fmt.Errorf("finding a free tcp port on %s: %w", ip, err)
		}
		ps[i].HostPort = l.Addr().(*net.TCPAddr).Port
		l.Close()
	}
	return nil
}
