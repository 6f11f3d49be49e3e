package network

import (
	"bufio"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/cais-project/cais/internal/errdefs"
)

func prefixes(ss ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range ss {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}

func TestChooseSubnet(t *testing.T) {
	for _, tc := range []struct {
		name string
		used []netip.Prefix
		want string
	}{
		{"empty host", nil, "10.88.0.0/16"},
		{"default route ignored", prefixes("0.0.0.0/0", "192.0.2.0/24"), "10.88.0.0/16"},
		{"10.88 taken by a route", prefixes("10.88.5.0/24"), "10.89.0.0/24"},
		{"host on all of 10/8 but 10.89.3", prefixes("10.88.0.0/16", "10.89.0.0/23", "10.89.2.0/24"), "10.89.3.0/24"},
		{"a wide host route", prefixes("10.64.0.0/10"), "none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ChooseSubnet(tc.used)
			if tc.want == "none" {
				if ok {
					t.Fatalf("got %s, want no free subnet (10.64/10 covers every candidate)", got)
				}
				return
			}
			if !ok || got.String() != tc.want {
				t.Fatalf("got %v %v, want %s", got, ok, tc.want)
			}
			for _, u := range tc.used {
				if u.Bits() > 0 && u.Overlaps(got) {
					t.Errorf("%s overlaps used %s", got, u)
				}
			}
		})
	}
}

func TestParseProcRoutes(t *testing.T) {
	const table = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" +
		"eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n" +
		"eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n" +
		"br0\t0000580A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n"
	got, err := parseProcRoutes(bufio.NewScanner(strings.NewReader(table)))
	if err != nil {
		t.Fatal(err)
	}
	want := prefixes("0.0.0.0/0", "192.0.2.0/24", "10.88.0.0/16")
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("route %d: got %s, want %s", i, got[i], want[i])
		}
	}
}

// TestChooseSubnetRealHost: the subnet chosen on this host overlaps none
// of its routes.
func TestChooseSubnetRealHost(t *testing.T) {
	routes, err := HostRoutes()
	if err != nil {
		t.Fatal(err)
	}
	got, ok := ChooseSubnet(routes)
	if !ok {
		t.Fatalf("no subnet free among the host's routes %v", routes)
	}
	for _, r := range routes {
		if r.Bits() > 0 && r.Overlaps(got) {
			t.Errorf("chosen %s overlaps host route %s", got, r)
		}
	}
}

func TestCreateSubnets(t *testing.T) {
	s := &Store{Root: t.TempDir(), RunRoot: t.TempDir(),
		HostRoutes: func() ([]netip.Prefix, error) { return prefixes("0.0.0.0/0", "10.88.0.0/16"), nil }}
	a, err := s.Create(CreateOptions{Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if a.IPAM.Subnet != "10.89.0.0/24" || a.IPAM.Gateway != "10.89.0.1" {
		t.Errorf("a: got %+v, want 10.89.0.0/24 via 10.89.0.1 (10.88/16 is a host route)", a.IPAM)
	}
	b, err := s.Create(CreateOptions{Name: "b", Labels: map[string]string{"k": "v"}, Internal: true})
	if err != nil {
		t.Fatal(err)
	}
	if b.IPAM.Subnet != "10.89.1.0/24" {
		t.Errorf("b: got %s, want the next free 10.89.1.0/24", b.IPAM.Subnet)
	}
	if got, err := s.Get(b.ID[:6]); err != nil || got.Name != "b" || !got.Internal || got.Labels["k"] != "v" {
		t.Errorf("Get by ID prefix: %+v, %v", got, err)
	}
	bad := []struct {
		o    CreateOptions
		want error
		msg  string
	}{
		{CreateOptions{Name: "a"}, errdefs.ErrConflict, "already exists"},
		{CreateOptions{Name: "c", Subnet: "10.89.0.128/25"}, errdefs.ErrConflict, "overlaps with the subnet 10.89.0.0/24"},
		{CreateOptions{Name: "c", Subnet: "nonsense"}, errdefs.ErrInvalidArgument, "invalid subnet"},
		{CreateOptions{Name: "c", Subnet: "172.30.0.0/16", Gateway: "172.31.0.1"}, errdefs.ErrInvalidArgument, "not a host address in subnet"},
		{CreateOptions{Name: "c", Subnet: "172.30.0.0/16", IPRange: "172.29.0.0/24"}, errdefs.ErrInvalidArgument, "not inside subnet"},
		{CreateOptions{Name: "c", Driver: "overlay"}, errdefs.ErrInvalidArgument, "not supported"},
		{CreateOptions{Name: "bad name"}, errdefs.ErrInvalidArgument, "invalid network name"},
		{CreateOptions{Name: "host"}, errdefs.ErrInvalidArgument, "reserved"},
	}
	for _, tc := range bad {
		_, err := s.Create(tc.o)
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("Create(%+v): got %v, want %v containing %q", tc.o, err, tc.want, tc.msg)
		}
	}
	if all, _ := s.List(); len(all) != 2 {
		t.Errorf("after bad creates: %d records, want 2", len(all))
	}
	c, err := s.Create(CreateOptions{Name: "c", Subnet: "172.30.0.0/16", Gateway: "172.30.0.254", IPRange: "172.30.5.0/24"})
	if err != nil {
		t.Fatal(err)
	}
	if c.IPAM != (IPAM{Subnet: "172.30.0.0/16", Gateway: "172.30.0.254", IPRange: "172.30.5.0/24"}) {
		t.Errorf("c: %+v", c.IPAM)
	}
	if err := CheckIP(c, "172.31.0.5"); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("CheckIP outside the subnet: %v", err)
	}
	if err := CheckIP(c, "172.30.9.9"); err != nil {
		t.Errorf("CheckIP inside: %v", err)
	}
	if err := s.Remove(c); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(c.ID); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("Get after Remove: %v", err)
	}
}

func TestParsePublish(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []PortMapping
	}{
		{"8080:80", []PortMapping{{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}}},
		{"127.0.0.1:8080:80/udp", []PortMapping{{HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 80, Protocol: "udp"}}},
		{"127.0.0.1::80", []PortMapping{{HostIP: "127.0.0.1", ContainerPort: 80, Protocol: "tcp"}}},
		{"80", []PortMapping{{ContainerPort: 80, Protocol: "tcp"}}},
		{"8000-8001:80-81", []PortMapping{{HostPort: 8000, ContainerPort: 80, Protocol: "tcp"}, {HostPort: 8001, ContainerPort: 81, Protocol: "tcp"}}},
	} {
		got, err := ParsePublish(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if len(got) != len(tc.want) {
			t.Errorf("%s: got %+v, want %+v", tc.in, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: got %+v, want %+v", tc.in, got[i], tc.want[i])
			}
		}
	}
	for _, bad := range []string{"70000:80", "80:0", "a:80", "8000-8002:80-81", "80/sctp", "1.2.3:80:80", "90-80:90-80", ""} {
		if _, err := ParsePublish(bad); !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(err.Error(), bad) {
			t.Errorf("ParsePublish(%q): got %v, want an invalid argument naming it", bad, err)
		}
	}
}

func TestResolveHostPorts(t *testing.T) {
	ps := []PortMapping{{HostIP: "127.0.0.1", ContainerPort: 80, Protocol: "tcp"}, {ContainerPort: 53, Protocol: "udp"}, {HostPort: 1234, ContainerPort: 1, Protocol: "tcp"}}
	if err := ResolveHostPorts(ps); err != nil {
		t.Fatal(err)
	}
	if ps[0].HostPort == 0 || ps[1].HostPort == 0 || ps[2].HostPort != 1234 {
		t.Errorf("got %+v, want free ports for the first two and 1234 kept", ps)
	}
}

// TestConfList: the generated list has the plugins in order, IPAM state
// under the runroot, and no masquerade for an internal network.
func TestConfList(t *testing.T) {
	s := &Store{Root: t.TempDir(), RunRoot: "/run/x"}
	n := &Network{Name: "n", ID: strings.Repeat("ab", 32), Bridge: "cais-abababab", Internal: true,
		IPAM: IPAM{Subnet: "10.89.0.0/24", Gateway: "10.89.0.1", IPRange: "10.89.0.128/25"}}
	b, err := s.confList(n, Attachment{Firewall: true, Ports: []PortMapping{{HostPort: 1, ContainerPort: 1, Protocol: "tcp"}}, RequestedMAC: "92:d0:c6:0a:29:33"})
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	for _, want := range []string{`"type":"bridge"`, `"type":"portmap"`, `"type":"firewall"`, `"type":"tuning"`,
		`"ipMasq":false`, `"dataDir":"/run/x/cni/ipam/` + n.ID + `"`, `"rangeStart":"10.89.0.129"`, `"rangeEnd":"10.89.0.254"`,
		`"snat":true`, `"portMappings":true`, `"mac":true`, `"hairpinMode":true`} {
		if !strings.Contains(got, want) {
			t.Errorf("config list lacks %s:\n%s", want, got)
		}
	}
	if strings.Contains(got, `"routes"`) {
		t.Errorf("an internal network got a default route:\n%s", got)
	}
	b, _ = s.confList(n, Attachment{})
	if got := string(b); strings.Contains(got, "portmap") || strings.Contains(got, "tuning") || strings.Contains(got, "firewall") {
		t.Errorf("an attachment without ports, MAC or a filtering host: want only bridge:\n%s", got)
	}
}

// TestClaimSubnet: before its bridge exists, a network whose subnet cais
// chose moves off a subnet another root's bridge took meanwhile; one the
// user gave stays.
func TestClaimSubnet(t *testing.T) {
	routes := prefixes("0.0.0.0/0")
	s := &Store{Root: t.TempDir(), RunRoot: t.TempDir(), HostRoutes: func() ([]netip.Prefix, error) { return routes, nil }}
	auto, err := s.Create(CreateOptions{Name: "auto"})
	if err != nil {
		t.Fatal(err)
	}
	user, err := s.Create(CreateOptions{Name: "user", Subnet: "172.30.93.0/24"})
	if err != nil {
		t.Fatal(err)
	}
	if auto.IPAM.Subnet != "10.88.0.0/16" {
		t.Fatalf("auto: %s", auto.IPAM.Subnet)
	}
	routes = append(routes, prefixes("10.88.0.0/16", "172.30.93.0/24")...) // another root's bridges
	release, fresh, err := s.claimSubnet(auto)
	if err != nil {
		t.Fatal(err)
	}
	release()
	if !fresh {
		t.Errorf("claim of a network whose bridge %s does not exist: fresh false", auto.Bridge)
	}
	if auto.IPAM.Subnet != "10.89.0.0/24" || auto.IPAM.Gateway != "10.89.0.1" {
		t.Errorf("auto after claim: %+v, want 10.89.0.0/24", auto.IPAM)
	}
	if got, _ := s.Get("auto"); got.IPAM.Subnet != "10.89.0.0/24" {
		t.Errorf("record after claim: %+v", got.IPAM)
	}
	release, _, err = s.claimSubnet(user)
	if err != nil {
		t.Fatal(err)
	}
	release()
	if user.IPAM.Subnet != "172.30.93.0/24" {
		t.Errorf("a user's subnet moved: %+v", user.IPAM)
	}
}

func TestChainFilters(t *testing.T) {
	for _, tc := range []struct {
		rules string
		want  bool
	}{
		{"-P FORWARD ACCEPT\n-A FORWARD -j CNI-FORWARD\n", false},
		{"-P FORWARD DROP\n", true},
		{"-P FORWARD ACCEPT\n-A FORWARD -i eth0 -j REJECT --reject-with icmp-port-unreachable\n", true},
		{"-P FORWARD ACCEPT\n-A FORWARD -o docker0 -j DROP\n", true},
	} {
		if got := chainFilters(tc.rules); got != tc.want {
			t.Errorf("chainFilters(%q) = %v, want %v", tc.rules, got, tc.want)
		}
	}
}
