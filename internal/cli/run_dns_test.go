package cli_test

import (
	"encoding/json"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dockerLocalhost is the head of every /etc/hosts Docker writes.
const dockerLocalhost = "127.0.0.1\tlocalhost\n" +
	"::1\tlocalhost ip6-localhost ip6-loopback\n" +
	"fe00::\tip6-localnet\n" +
	"ff00::\tip6-mcastprefix\n" +
	"ff02::1\tip6-allnodes\n" +
	"ff02::2\tip6-allrouters\n"

// hostNameservers reads the host's resolv.conf the simple way.
func hostNameservers(t *testing.T) (all []netip.Addr, raw []byte) {
	t.Helper()
	raw, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines(string(raw)) {
		f := strings.Fields(l)
		if len(f) >= 2 && f[0] == "nameserver" {
			if a, err := netip.ParseAddr(f[1]); err == nil {
				all = append(all, a)
			}
		}
	}
	return all, raw
}

func nameserverLines(s string) []string {
	var out []string
	for _, l := range lines(s) {
		if strings.HasPrefix(l, "nameserver ") {
			out = append(out, strings.TrimPrefix(l, "nameserver "))
		}
	}
	return out
}

// TestRunDNSFlags: what the flags ask for is what the container reads in
// /etc/resolv.conf, /etc/hosts and its UTS domain name.
func TestRunDNSFlags(t *testing.T) {
	for _, rt := range []string{"cais-runtime", "runc"} {
		t.Run(rt, func(t *testing.T) { testRunDNSFlags(t, rt) })
	}
}

func testRunDNSFlags(t *testing.T, rt string) {
	e, name := runEnv(t)
	out := e.must("run", "--rm", "--name", name, "--runtime", rt, "--network", "none", "-h", "box", "--domainname", "example.org",
		"--dns", "10.1.2.3", "--dns", "2001:db8::53", "--dns-search", "corp.example", "--dns-search", "example.com",
		"--dns-option", "ndots:3", "--dns-option", "timeout:2",
		"--add-host", "db:10.9.8.7", "--add-host", "v6=[2001:db8::7]", "--add-host", "gw:host-gateway",
		"busybox:test", "sh", "-c", "cat /etc/resolv.conf; echo ---; cat /etc/hosts; echo ---; cat /proc/sys/kernel/domainname")
	parts := strings.Split(out, "---\n")
	if len(parts) != 3 {
		t.Fatalf("container printed %q", out)
	}
	resolv, hosts, domain := parts[0], parts[1], parts[2]
	if got := nameserverLines(resolv); strings.Join(got, ",") != "10.1.2.3,2001:db8::53" {
		t.Errorf("nameservers %v, want only the --dns ones in order:\n%s", got, resolv)
	}
	if !hasLine(resolv, "search corp.example example.com") || !hasLine(resolv, "options ndots:3 timeout:2") {
		t.Errorf("resolv.conf lacks the search/options lines:\n%s", resolv)
	}
	if !strings.HasPrefix(hosts, dockerLocalhost+"10.9.8.7\tdb\n2001:db8::7\tv6\n") {
		t.Errorf("hosts: want Docker's localhost lines then the --add-host entries in order, got:\n%s", hosts)
	}
	// host-gateway without a network of its own: one of the host's
	// addresses (the default route's source), never a loopback one.
	var gw netip.Addr
	for _, l := range lines(hosts) {
		if f := strings.Fields(l); len(f) == 2 && f[1] == "gw" {
			gw, _ = netip.ParseAddr(f[0])
		}
	}
	if !gw.IsValid() || gw.IsLoopback() || !hostHasAddr(t, gw) {
		t.Errorf("host-gateway resolved to %v, want an address of this host:\n%s", gw, hosts)
	}
	// --network none: Docker writes no record for the container itself.
	if strings.Contains(hosts, "box") {
		t.Errorf("hosts names the container without an address of its own:\n%s", hosts)
	}
	if domain != "example.org\n" {
		t.Errorf("kernel domainname %q, want example.org", domain)
	}
}

func hostHasAddr(t *testing.T, a netip.Addr) bool {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range addrs {
		if n, ok := x.(*net.IPNet); ok && n.IP.Equal(net.IP(a.AsSlice())) {
			return true
		}
	}
	return false
}

// TestRunResolvConfNetworkModes: off the host network the host's loopback
// resolvers are dropped (Docker's fallback when none remain); on it, the
// host's files are used as they are, unless flags change them.
func TestRunResolvConfNetworkModes(t *testing.T) {
	e, name := runEnv(t)
	hostNS, hostRaw := hostNameservers(t)
	var want []string
	for _, a := range hostNS {
		if !a.IsLoopback() && a.Is4() {
			want = append(want, a.String())
		}
	}
	if len(want) == 0 {
		want = []string{"8.8.8.8", "8.8.4.4"}
	}
	out := e.must("run", "--rm", "--name", name, "--network", "none", "busybox:test", "cat", "/etc/resolv.conf", "/etc/hosts")
	if got := nameserverLines(out); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("--network none: nameservers %v, want %v (host has %v)", got, want, hostNS)
	}
	if !strings.HasSuffix(out, dockerLocalhost) {
		t.Errorf("--network none: /etc/hosts is not Docker's:\n%s", out)
	}

	hostHosts, err := os.ReadFile("/etc/hosts")
	if err != nil {
		t.Fatal(err)
	}
	out = e.must("run", "--rm", "--name", name, "--network", "host", "busybox:test", "cat", "/etc/resolv.conf", "/etc/hosts")
	if out != string(hostRaw)+string(hostHosts) {
		t.Errorf("--network host: got\n%s\nwant the host's resolv.conf and hosts as they are", out)
	}
	out = e.must("run", "--rm", "--name", name, "--network", "host", "--dns-search", "corp.example", "--add-host", "db:10.9.8.7",
		"busybox:test", "cat", "/etc/resolv.conf", "/etc/hosts")
	var hostNSs []string
	for _, a := range hostNS {
		hostNSs = append(hostNSs, a.String())
	}
	if got := nameserverLines(out); strings.Join(got, ",") != strings.Join(hostNSs, ",") || !hasLine(out, "search corp.example") {
		t.Errorf("--network host --dns-search: nameservers %v (want the host's %v, loopback kept) and the search line:\n%s", got, hostNSs, out)
	}
	if !strings.HasSuffix(out, string(hostHosts)+"10.9.8.7\tdb\n") {
		t.Errorf("--network host --add-host: want the host's hosts then the entry:\n%s", out)
	}
	out = e.must("run", "--rm", "--name", name, "--dns", "127.0.0.1", "--dns-search", ".", "busybox:test", "cat", "/etc/resolv.conf")
	if got := nameserverLines(out); strings.Join(got, ",") != "127.0.0.1" || strings.Contains(out, "search") {
		t.Errorf("--dns 127.0.0.1 --dns-search .: want the user's loopback server kept and no search line:\n%s", out)
	}
}

// TestRunDNSBadFlags: bad values exit 125 with Docker's message and leave
// nothing behind.
func TestRunDNSBadFlags(t *testing.T) {
	e, name := runEnv(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--add-host", "x"}, `invalid argument "x" for "--add-host" flag: bad format for add-host: "x"`},
		{[]string{"--add-host", "db:notanip"}, `invalid IP address in add-host: "notanip"`},
		{[]string{"--dns", "notanip"}, `invalid argument "notanip" for "--dns" flag: IP address is not correctly formatted: notanip`},
		{[]string{"--dns-search", "a b"}, `a b is not a valid domain`},
		{[]string{"--domainname", "bad/domain"}, `invalid domainname "bad/domain"`},
	} {
		for _, verb := range []string{"run", "create"} {
			args := append(append([]string{verb, "--name", name}, tc.args...), "busybox:test", "true")
			r := e.run(args...)
			if r.code != 125 || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("%v: exit %d, stderr %q; want 125 and %q", args, r.code, r.stderr, tc.want)
			}
		}
	}
	if out := e.must("ps", "-a", "-q"); out != "" {
		t.Errorf("containers left: %q", out)
	}
	if es, err := os.ReadDir(filepath.Join(e.runRoot, "containers")); err == nil && len(es) > 0 {
		t.Errorf("run directories left: %v", es)
	}
	if es, err := os.ReadDir(filepath.Join(e.root, "containers")); err == nil && len(es) > 0 {
		t.Errorf("records left: %v", es)
	}
}

// TestInspectDNS: inspect shows the flags as Docker's HostConfig does, and
// the paths of the files the container gets.
func TestInspectDNS(t *testing.T) {
	e, name := runEnv(t)
	t.Cleanup(func() { e.run("rm", "-f", name) })
	e.must("create", "--name", name, "--dns", "10.1.2.3", "--dns-search", "corp.example", "--dns-option", "ndots:2",
		"--add-host", "db=10.9.8.7", "--add-host", "gw:host-gateway", "--domainname", "example.org", "busybox:test", "true")
	var docs []struct {
		HostsPath, ResolvConfPath, HostnamePath string
		HostConfig                              struct {
			Dns, DnsSearch, DnsOptions, ExtraHosts []string
		}
		Config struct{ Hostname, Domainname string }
	}
	if err := json.Unmarshal([]byte(e.must("inspect", name)), &docs); err != nil || len(docs) != 1 {
		t.Fatalf("inspect: %v", err)
	}
	d := docs[0]
	hc := d.HostConfig
	if strings.Join(hc.Dns, ",") != "10.1.2.3" || strings.Join(hc.DnsSearch, ",") != "corp.example" ||
		strings.Join(hc.DnsOptions, ",") != "ndots:2" || strings.Join(hc.ExtraHosts, ",") != "db:10.9.8.7,gw:host-gateway" ||
		d.Config.Domainname != "example.org" {
		t.Errorf("inspect: %+v", d)
	}
	resolv, err := os.ReadFile(d.ResolvConfPath)
	if err != nil || nameserverLines(string(resolv))[0] != "10.1.2.3" {
		t.Errorf("ResolvConfPath %q: %q, %v", d.ResolvConfPath, resolv, err)
	}
	hosts, err := os.ReadFile(d.HostsPath)
	if err != nil || !strings.Contains(string(hosts), "10.9.8.7\tdb\n") {
		t.Errorf("HostsPath %q: %q, %v", d.HostsPath, hosts, err)
	}
	if b, err := os.ReadFile(d.HostnamePath); err != nil || d.Config.Hostname == "" || string(b) != d.Config.Hostname+"\n" {
		t.Errorf("HostnamePath %q: %q, %v", d.HostnamePath, b, err)
	}
	// Without flags the lists are empty, not null, and ExtraHosts null, as
	// Docker shows them.
	e.must("rm", "-f", name)
	e.must("create", "--name", name, "busybox:test", "true")
	if got := e.must("inspect", "--format", "{{json .HostConfig.Dns}} {{json .HostConfig.DnsSearch}} {{json .HostConfig.DnsOptions}} {{json .HostConfig.ExtraHosts}}", name); got != "[] [] [] null\n" {
		t.Errorf("inspect without flags: %q", got)
	}
}
