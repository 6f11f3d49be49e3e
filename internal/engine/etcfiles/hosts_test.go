package etcfiles

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/cais-project/cais/internal/errdefs"
)

const dockerLocal = "127.0.0.1\tlocalhost\n" +
	"::1\tlocalhost ip6-localhost ip6-loopback\n" +
	"fe00::\tip6-localnet\n" +
	"ff00::\tip6-mcastprefix\n" +
	"ff02::1\tip6-allnodes\n" +
	"ff02::2\tip6-allrouters\n"

func addrs(s ...string) []netip.Addr {
	var out []netip.Addr
	for _, a := range s {
		out = append(out, netip.MustParseAddr(a))
	}
	return out
}

// The expected outputs are what Docker 28 writes for the same container.
func TestHosts(t *testing.T) {
	gw := ExtraHost{Name: "host.docker.internal", IP: netip.MustParseAddr("172.17.0.1"), HostGateway: true}
	for _, tc := range []struct {
		name string
		o    HostsOptions
		want string
	}{
		{"bridge", HostsOptions{Hostname: "abc123def456", Addresses: addrs("172.17.0.2")},
			dockerLocal + "172.17.0.2\tabc123def456\n"},
		{"network none: no own record", HostsOptions{Hostname: "abc123def456"}, dockerLocal},
		{"domainname", HostsOptions{Hostname: "web", Domainname: "example.com", Addresses: addrs("10.0.0.5")},
			dockerLocal + "10.0.0.5\tweb.example.com web\n"},
		{"fqdn hostname", HostsOptions{Hostname: "web.example.com", Addresses: addrs("10.0.0.5")},
			dockerLocal + "10.0.0.5\tweb.example.com web\n"},
		{"two networks", HostsOptions{Hostname: "h", Addresses: addrs("10.0.0.5", "fd00::5")},
			dockerLocal + "10.0.0.5\th\nfd00::5\th\n"},
		{"add-host before own record", HostsOptions{Hostname: "h", Addresses: addrs("10.0.0.5"),
			ExtraHosts: []ExtraHost{{Name: "db", IP: netip.MustParseAddr("10.1.2.3")}, gw, {Name: "v6", IP: netip.MustParseAddr("2001:db8::1")}}},
			dockerLocal + "10.1.2.3\tdb\n172.17.0.1\thost.docker.internal\n2001:db8::1\tv6\n10.0.0.5\th\n"},
		{"unresolved host-gateway skipped", HostsOptions{ExtraHosts: []ExtraHost{{Name: "x", HostGateway: true}}}, dockerLocal},
		{"no IPv6", HostsOptions{Hostname: "h", Addresses: addrs("10.0.0.5", "fd00::5"), NoIPv6: true,
			ExtraHosts: []ExtraHost{{Name: "v6", IP: netip.MustParseAddr("2001:db8::1")}, {Name: "v4", IP: netip.MustParseAddr("10.9.9.9")}}},
			"127.0.0.1\tlocalhost\n10.9.9.9\tv4\n10.0.0.5\th\n"},
		{"peers sorted by address, names deduplicated", HostsOptions{Hostname: "me", Addresses: addrs("10.0.0.2"),
			Peers: []Peer{
				{IP: netip.MustParseAddr("10.0.0.10"), Names: []string{"web", "www", "web", "0123456789ab"}},
				{IP: netip.MustParseAddr("10.0.0.3"), Names: []string{"db"}},
				{IP: netip.MustParseAddr("10.0.0.3"), Names: []string{"cache"}},
			}},
			dockerLocal + "10.0.0.2\tme\n10.0.0.3\tcache\n10.0.0.3\tdb\n10.0.0.10\tweb www 0123456789ab\n"},
		{"host network keeps the host's file", HostsOptions{Hostname: "ignored", Addresses: addrs("10.0.0.2"),
			Base: []byte("# host\n127.0.0.1 localhost\n192.168.1.1 router")},
			"# host\n127.0.0.1 localhost\n192.168.1.1 router\n"},
		{"host network with add-host", HostsOptions{Base: []byte("127.0.0.1 localhost\n"),
			ExtraHosts: []ExtraHost{{Name: "db", IP: netip.MustParseAddr("10.1.2.3")}}},
			"127.0.0.1 localhost\n10.1.2.3\tdb\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(Hosts(tc.o)); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
			if a, b := string(Hosts(tc.o)), string(Hosts(tc.o)); a != b {
				t.Errorf("not deterministic")
			}
		})
	}
}

func TestParseExtraHost(t *testing.T) {
	for _, tc := range []struct {
		in, want string // want "" means an error
		errText  string
	}{
		{"db:10.1.2.3", "db:10.1.2.3", ""},
		{"db=10.1.2.3", "db:10.1.2.3", ""},
		{"v6:2001:db8::1", "v6:2001:db8::1", ""},
		{"v6=[2001:db8::1]", "v6:2001:db8::1", ""},
		{"v6:[2001:db8::1]", "v6:2001:db8::1", ""},
		{"gw:host-gateway", "gw:host-gateway", ""},
		{"x", "", `bad format for add-host: "x"`},
		{":10.1.2.3", "", `bad format for add-host: ":10.1.2.3"`},
		{"db:notanip", "", `invalid IP address in add-host: "notanip"`},
		{"db:", "", `invalid IP address in add-host: ""`},
	} {
		h, err := ParseExtraHost(tc.in)
		if tc.want == "" {
			if err == nil || !errors.Is(err, errdefs.ErrInvalidArgument) || !contains(err.Error(), tc.errText) {
				t.Errorf("ParseExtraHost(%q) = %v, %v; want an invalid-argument error with %q", tc.in, h, err, tc.errText)
			}
			continue
		}
		if err != nil || h.String() != tc.want {
			t.Errorf("ParseExtraHost(%q) = %q, %v; want %q", tc.in, h.String(), err, tc.want)
		}
	}
}

func TestParseNameserver(t *testing.T) {
	for _, s := range []string{"1.1.1.1", "2001:db8::53", "127.0.0.1"} {
		if a, err := ParseNameserver(s); err != nil || a.String() != s {
			t.Errorf("ParseNameserver(%q) = %v, %v", s, a, err)
		}
	}
	for _, s := range []string{"notanip", "", "1.2.3", "fe80::1%eth0", "8.8.8.8:53"} {
		_, err := ParseNameserver(s)
		if !errors.Is(err, errdefs.ErrInvalidArgument) || !contains(err.Error(), "IP address is not correctly formatted: "+s) {
			t.Errorf("ParseNameserver(%q) = %v; want Docker's message", s, err)
		}
	}
}

func TestValidateSearchAndOption(t *testing.T) {
	for _, s := range []string{".", "example.com", "corp.example.com.", "lan"} {
		if err := ValidateSearch(s); err != nil {
			t.Errorf("ValidateSearch(%q) = %v", s, err)
		}
	}
	for _, s := range []string{"", "..", "-x.com", "a b", "http://x"} {
		if err := ValidateSearch(s); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("ValidateSearch(%q) = %v, want an error", s, err)
		}
	}
	if err := ValidateOption("ndots:2"); err != nil {
		t.Errorf("ndots:2: %v", err)
	}
	for _, s := range []string{"", "a b"} {
		if err := ValidateOption(s); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("ValidateOption(%q) = %v, want an error", s, err)
		}
	}
}

func contains(s, sub string) bool {
	return strings.Contains(s, sub)
}
