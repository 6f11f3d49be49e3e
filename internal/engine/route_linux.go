package engine

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"

	"github.com/cais-project/cais/internal/errdefs"
)

// procNetRoute is the kernel's IPv4 routing table; a variable for tests.
var procNetRoute = "/proc/net/route"

// defaultRouteSource is the address the host uses on its IPv4 default
// route: the source the kernel picks to reach the route's gateway (a UDP
// connect, which sends nothing), or the route's interface's first address
// when the route has no gateway.
func defaultRouteSource() (netip.Addr, error) {
	b, err := os.ReadFile(procNetRoute)
	if err != nil {
		return netip.Addr{}, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Scan() // header
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		// Iface Destination Gateway Flags RefCnt Use Metric Mask ...
		if len(f) < 8 || f[1] != "00000000" || f[7] != "00000000" {
			continue
		}
		gw, err := hex.DecodeString(f[2])
		if err != nil || len(gw) != 4 {
			continue
		}
		if g := binary.NativeEndian.Uint32(gw); g != 0 { // /proc gives host byte order
			var ip [4]byte
			binary.BigEndian.PutUint32(ip[:], g)
			c, err := net.Dial("udp4", netip.AddrPortFrom(netip.AddrFrom4(ip), 9).String())
			if err != nil {
				continue
			}
			ap, err := netip.ParseAddrPort(c.LocalAddr().String())
			c.Close()
			if err == nil {
				return ap.Addr().Unmap(), nil
			}
			continue
		}
		if a, ok := firstIPv4(f[0]); ok {
			return a, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("the host has no IPv4 default route to take its address from: %w", errdefs.ErrInvalidArgument)
}

func firstIPv4(iface string) (netip.Addr, bool) {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return netip.Addr{}, false
	}
	addrs, err := ifi.Addrs()
	if err != nil {
		return netip.Addr{}, false
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP.To4()); ok && n.IP.To4() != nil {
				return ip, true
			}
		}
	}
	return netip.Addr{}, false
}
