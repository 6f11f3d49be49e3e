package network

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/bits"
	"net/netip"
	"os"
	"strings"
)

// HostRoutes reads the host's IPv4 routes from /proc/net/route (every
// table the kernel lists there), as prefixes.
func HostRoutes() ([]netip.Prefix, error) {
	f, err := os.Open("/proc/net/route")
	if err != nil {
		return nil, fmt.Errorf("reading host routes: %w", err)
	}
	defer f.Close()
	return parseProcRoutes(bufio.NewScanner(f))
}

func parseProcRoutes(sc *bufio.Scanner) ([]netip.Prefix, error) {
	var out []netip.Prefix
	first := true
	for sc.Scan() {
		if first {
			first = false
			continue
		}
		fs := strings.Fields(sc.Text())
		if len(fs) < 8 {
			continue
		}
		dst, err1 := hex.DecodeString(fs[1])
		mask, err2 := hex.DecodeString(fs[7])
		if err1 != nil || err2 != nil || len(dst) != 4 || len(mask) != 4 {
			continue
		}
		// The file holds the addresses in host (little-endian) order.
		ones := bits.OnesCount32(binary.LittleEndian.Uint32(mask))
		addr := netip.AddrFrom4([4]byte{dst[3], dst[2], dst[1], dst[0]})
		out = append(out, netip.PrefixFrom(addr, ones).Masked())
	}
	return out, sc.Err()
}
