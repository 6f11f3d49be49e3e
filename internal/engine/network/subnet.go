package network

import "net/netip"

// ChooseSubnet walks the default candidates (10.88.0.0/16, then
// 10.89.0.0/24 ... 10.89.255.0/24, then 10.90.0.0/24 ... 10.99.255.0/24)
// and returns the first that overlaps none of used (the host's routes
// other than the default route, and other networks' subnets).
func ChooseSubnet(used []netip.Prefix) (netip.Prefix, bool) {
	var busy []netip.Prefix
	for _, u := range used {
		if u.Bits() > 0 { // the default route covers everything
			busy = append(busy, u.Masked())
		}
	}
	free := func(p netip.Prefix) bool {
		for _, u := range busy {
			if u.Overlaps(p) {
				return false
			}
		}
		return true
	}
	if p := netip.MustParsePrefix("10.88.0.0/16"); free(p) {
		return p, true
	}
	for b := 89; b <= 99; b++ {
		for c := 0; c < 256; c++ {
			p := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(b), byte(c), 0}), 24)
			if free(p) {
				return p, true
			}
		}
	}
	return netip.Prefix{}, false
}
