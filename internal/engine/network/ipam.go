package network

import "net/netip"

// rangeBounds are the first and last host addresses of the prefix r.
func rangeBounds(r string) (string, string) {
	p, err := netip.ParsePrefix(r)
	if err != nil {
		return "", ""
	}
	p = p.Masked()
	first := p.Addr()
	if p.Bits() < 31 {
		first = first.Next()
	}
	last := lastAddr(p)
	if p.Bits() < 31 {
		last = last.Prev()
	}
	return first.String(), last.String()
}

func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	host := 32 - p.Bits()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v |= (1<<host - 1)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
