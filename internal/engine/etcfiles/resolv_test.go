package etcfiles

import (
	"net/netip"
	"testing"
)

// The expected outputs are the body Docker 28 writes for the same host
// file and flags (cais writes no trailing comments).
func TestResolvConf(t *testing.T) {
	const resolved = "# This is /run/systemd/resolve/stub-resolv.conf\nnameserver 127.0.0.53\noptions edns0 trust-ad\nsearch lan\n"
	const mixed = "nameserver 127.0.0.1\nnameserver 10.0.0.1\nnameserver ::1\nnameserver 2001:db8::1\nnameserver bogus\n; comment\nsortlist 130.155.160.0/255.255.240.0\nsearch a.example\ndomain b.example\noptions ndots:2\noptions rotate\n"
	for _, tc := range []struct {
		name string
		host string
		o    ResolvOptions
		want string
	}{
		{"loopback resolver: fallback", resolved, ResolvOptions{},
			"nameserver 8.8.8.8\nnameserver 8.8.4.4\nsearch lan\noptions edns0 trust-ad\n"},
		{"loopback resolver with IPv6: both fallbacks", resolved, ResolvOptions{IPv6: true},
			"nameserver 8.8.8.8\nnameserver 8.8.4.4\nnameserver 2001:4860:4860::8888\nnameserver 2001:4860:4860::8844\nsearch lan\noptions edns0 trust-ad\n"},
		{"empty host file", "", ResolvOptions{}, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"},
		{"mixed, no IPv6", mixed, ResolvOptions{},
			"nameserver 10.0.0.1\nsearch b.example\noptions ndots:2 rotate\nsortlist 130.155.160.0/255.255.240.0\n"},
		{"mixed, IPv6", mixed, ResolvOptions{IPv6: true},
			"nameserver 10.0.0.1\nnameserver 2001:db8::1\nsearch b.example\noptions ndots:2 rotate\nsortlist 130.155.160.0/255.255.240.0\n"},
		{"127.x other than .1 is loopback too", "nameserver 127.1.2.3\nnameserver 1.1.1.1\n", ResolvOptions{},
			"nameserver 1.1.1.1\n"},
		{"--dns replaces, loopback kept", resolved, ResolvOptions{Nameservers: addrs("127.0.0.1", "9.9.9.9")},
			"nameserver 127.0.0.1\nnameserver 9.9.9.9\nsearch lan\noptions edns0 trust-ad\n"},
		{"--dns-search and --dns-option replace", mixed, ResolvOptions{Search: []string{"x.example", "y.example"}, Options: []string{"ndots:1"}},
			"nameserver 10.0.0.1\nsearch x.example y.example\noptions ndots:1\nsortlist 130.155.160.0/255.255.240.0\n"},
		{"--dns-search . removes search", resolved, ResolvOptions{Search: []string{"."}},
			"nameserver 8.8.8.8\nnameserver 8.8.4.4\noptions edns0 trust-ad\n"},
		{"host network, no flags: host file as is", resolved, ResolvOptions{HostNetwork: true}, resolved},
		{"host network with --dns-search: loopback kept", resolved, ResolvOptions{HostNetwork: true, Search: []string{"corp"}},
			"nameserver 127.0.0.53\nsearch corp\noptions edns0 trust-ad\n"},
		{"host network with --dns", resolved, ResolvOptions{HostNetwork: true, Nameservers: addrs("10.0.0.53")},
			"nameserver 10.0.0.53\nsearch lan\noptions edns0 trust-ad\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(ResolvConf([]byte(tc.host), tc.o)); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestResolvConfDoesNotAliasInput(t *testing.T) {
	host := []byte("nameserver 1.1.1.1\n")
	out := ResolvConf(host, ResolvOptions{HostNetwork: true})
	out[0] = 'X'
	if host[0] != 'n' {
		t.Fatal("output shares the host buffer")
	}
	ns := addrs("9.9.9.9")
	ResolvConf(host, ResolvOptions{Nameservers: ns})
	if ns[0] != netip.MustParseAddr("9.9.9.9") {
		t.Fatal("options changed")
	}
}
