package engine

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cais-project/cais/internal/engine/etcfiles"
	"github.com/cais-project/cais/internal/errdefs"
)

func TestDNSOptionsValidateAndNormalize(t *testing.T) {
	ok := DNSOptions{DNS: []string{"10.0.0.1", "2001:DB8::1"}, DNSSearch: []string{"."}, DNSOptions: []string{"ndots:1"},
		ExtraHosts: []string{"a=10.0.0.2", "b:[2001:db8::2]", "c:host-gateway"}, Domainname: "example.org"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	n := ok.normalized()
	if strings.Join(n.DNS, ",") != "10.0.0.1,2001:db8::1" || strings.Join(n.ExtraHosts, ",") != "a:10.0.0.2,b:2001:db8::2,c:host-gateway" {
		t.Errorf("normalized: %+v", n)
	}
	for _, bad := range []DNSOptions{
		{DNS: []string{"notanip"}}, {DNSSearch: []string{"a b"}}, {DNSOptions: []string{""}},
		{ExtraHosts: []string{"x"}}, {Domainname: "-x"}, {Domainname: "a/b"},
	} {
		if err := bad.Validate(); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("%+v: %v, want invalid argument", bad, err)
		}
	}
}

func setHostFiles(t *testing.T, resolv, hosts, upstream string) {
	t.Helper()
	dir := t.TempDir()
	oldR, oldH, oldU := hostResolvPath, hostHostsPath, resolvedUpstreamPath
	t.Cleanup(func() { hostResolvPath, hostHostsPath, resolvedUpstreamPath = oldR, oldH, oldU })
	hostResolvPath, hostHostsPath, resolvedUpstreamPath = filepath.Join(dir, "resolv"), filepath.Join(dir, "hosts"), filepath.Join(dir, "upstream")
	for p, s := range map[string]string{hostResolvPath: resolv, hostHostsPath: hosts, resolvedUpstreamPath: upstream} {
		if s != "" {
			if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// systemd-resolved's stub is replaced by its upstream list off the host
// network, as Docker does; on the host network the stub stays.
func TestWriteEtcFilesResolvedStub(t *testing.T) {
	setHostFiles(t, "nameserver 127.0.0.53\noptions edns0\n", "127.0.0.1 localhost\n", "nameserver 10.0.0.53\nsearch lan\n")
	dir := t.TempDir()
	p, err := WriteEtcFiles(dir, "h", DNSOptions{}, EtcNetwork{Mode: "none"})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p[1]); string(b) != "nameserver 10.0.0.53\nsearch lan\n" {
		t.Errorf("resolv.conf %q, want resolved's upstream list", b)
	}
	if _, err := WriteEtcFiles(dir, "h", DNSOptions{}, EtcNetwork{Mode: "host"}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p[1]); string(b) != "nameserver 127.0.0.53\noptions edns0\n" {
		t.Errorf("host network resolv.conf %q, want the host's", b)
	}
	if b, _ := os.ReadFile(p[0]); string(b) != "127.0.0.1 localhost\n" {
		t.Errorf("host network hosts %q, want the host's", b)
	}
}

// The network side rewrites the files of a running container: addresses,
// peers and the gateway come in, the inode stays.
func TestWriteEtcFilesRewriteForNetwork(t *testing.T) {
	setHostFiles(t, "nameserver 127.0.0.1\n", "", "")
	dir := t.TempDir()
	d := DNSOptions{ExtraHosts: []string{"gw:host-gateway"}, Domainname: "example.org"}
	p, err := WriteEtcFiles(dir, "web", d, EtcNetwork{Mode: "none"})
	if err != nil {
		t.Fatal(err)
	}
	var before syscall.Stat_t
	if err := syscall.Stat(p[0], &before); err != nil {
		t.Fatal(err)
	}
	n := EtcNetwork{Mode: "front", Addresses: []netip.Addr{netip.MustParseAddr("10.88.0.5")},
		Gateway: netip.MustParseAddr("10.88.0.1"),
		Peers:   []etcfiles.Peer{{IP: netip.MustParseAddr("10.88.0.9"), Names: []string{"db", "database"}}}}
	if _, err := WriteEtcFiles(dir, "web", d, n); err != nil {
		t.Fatal(err)
	}
	var after syscall.Stat_t
	if err := syscall.Stat(p[0], &after); err != nil || after.Ino != before.Ino {
		t.Fatalf("hosts inode %d -> %d (%v)", before.Ino, after.Ino, err)
	}
	b, _ := os.ReadFile(p[0])
	if !strings.HasSuffix(string(b), "ff02::2\tip6-allrouters\n10.88.0.1\tgw\n10.88.0.5\tweb.example.org web\n10.88.0.9\tdb database\n") {
		t.Errorf("hosts:\n%s", b)
	}
	if b, _ := os.ReadFile(p[1]); string(b) != "nameserver 8.8.8.8\nnameserver 8.8.4.4\n" {
		t.Errorf("resolv.conf %q, want Docker's fallback for a loopback-only host", b)
	}
}

func TestDefaultRouteSource(t *testing.T) {
	old := procNetRoute
	t.Cleanup(func() { procNetRoute = old })
	procNetRoute = filepath.Join(t.TempDir(), "route")
	const header = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
	// A default route via 127.0.0.1 (host byte order, little-endian here):
	// the kernel picks 127.0.0.1 as the source, and a UDP connect sends
	// nothing.
	route := header + "lo\t0000007F\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0\n" +
		"lo\t00000000\t0100007F\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
	if err := os.WriteFile(procNetRoute, []byte(route), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := defaultRouteSource()
	if err != nil || a != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("default route source %v, %v; want 127.0.0.1", a, err)
	}
	if err := os.WriteFile(procNetRoute, []byte(header), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := defaultRouteSource(); !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(err.Error(), "no IPv4 default route") {
		t.Errorf("no default route: %v", err)
	}
}
