package cli_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cais-project/cais/internal/fixture"
)

// netEnv is a runEnv whose end also checks that the networks' host
// state is gone: no veth, netns file, allocation, iptables rule or
// process of any container the test made (see checkNetGone).
func netEnv(t *testing.T) (*env, string) {
	t.Helper()
	e, name := runEnv(t)
	t.Cleanup(func() { e.checkNetGone(nil) })
	return e, name
}

// networkDoc is the part of network inspect the tests read.
type networkDoc struct {
	Name, Id   string
	Internal   bool
	IPAM       struct{ Config []map[string]string }
	Options    map[string]string
	Labels     map[string]string
	Containers map[string]struct {
		Name, IPv4Address, MacAddress string
	}
}

func (e *env) inspectNetwork(name string) networkDoc {
	e.t.Helper()
	var docs []networkDoc
	if err := json.Unmarshal([]byte(e.must("network", "inspect", name)), &docs); err != nil || len(docs) != 1 {
		e.t.Fatalf("network inspect %s: %v (%d docs)", name, err, len(docs))
	}
	return docs[0]
}

// checkNetGone fails the test if anything of ids (or, with nil, of any
// container ever made under this root) is left: a netns file or mount,
// a host-local allocation, a libcni attachment not deleted, an iptables
// rule naming the id, a process whose command line names it, a veth on one
// of the root's bridges. The networks themselves stay, as Docker's do: a
// bridge that was made stays with nothing plugged in and with its
// network's one masquerade rule (none when internal), and no rule is left
// without its bridge. checkNetRemoved checks a network that was removed.
func (e *env) checkNetGone(ids []string) {
	t := e.t
	t.Helper()
	if ents, _ := os.ReadDir(filepath.Join(e.runRoot, "netns")); len(ents) > 0 {
		for _, de := range ents {
			if !strings.HasPrefix(de.Name(), ".") {
				t.Errorf("netns file left: %s", de.Name())
			}
		}
	}
	filepath.WalkDir(filepath.Join(e.runRoot, "cni", "ipam"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() != "lock" && !strings.HasPrefix(d.Name(), "last_reserved_ip") {
			t.Errorf("IP allocation left: %s", p)
		}
		return nil
	})
	// libcni's cache names every attachment made and not yet deleted,
	// with the container's ID, also of a container that is gone.
	if ents, _ := os.ReadDir(filepath.Join(e.runRoot, "cni", "cache", "results")); len(ents) > 0 {
		for _, de := range ents {
			t.Errorf("CNI attachment not deleted: %s", de.Name())
		}
	}
	rules, err := exec.Command("iptables-save").Output()
	if err != nil {
		t.Fatalf("iptables-save: %v", err)
	}
	for _, id := range ids {
		if strings.Contains(string(rules), id) {
			t.Errorf("iptables rules still name %s:\n%s", id[:12], grepLines(string(rules), id))
		}
		for _, l := range processesNaming(id) {
			t.Errorf("process left: %s", l)
		}
	}
	// Bridges of this root's networks: absent, or up with nothing
	// plugged in and with the network's rule.
	recs, _ := filepath.Glob(filepath.Join(e.root, "networks", "*.json"))
	for _, r := range recs {
		var n struct {
			Bridge, Id string
			Internal   bool
		}
		if b, err := os.ReadFile(r); err != nil || json.Unmarshal(b, &n) != nil || n.Bridge == "" {
			continue
		}
		if ports, err := os.ReadDir("/sys/class/net/" + n.Bridge + "/brif"); err == nil && len(ports) > 0 {
			t.Errorf("bridge %s still has %d ports (veths) plugged in", n.Bridge, len(ports))
		}
		rs := masqRules(t, n.Id)
		switch up := bridgeUp(n.Bridge); {
		case len(rs) > 0 && !up:
			t.Errorf("masquerade rule of network %s left without its bridge: %q", n.Id[:12], rs)
		case up && !n.Internal && len(rs) != 1:
			t.Errorf("network %s: bridge %s is up with masquerade rules %q, want its one rule", n.Id[:12], n.Bridge, rs)
		}
	}
}

// checkNetRemoved fails the test unless the network n describes (before
// its `network rm`) has left nothing: no record, no bridge, no
// masquerade rule, no allocation directory.
func (e *env) checkNetRemoved(n networkDoc) {
	t := e.t
	t.Helper()
	if _, err := os.Stat(filepath.Join(e.root, "networks", n.Id+".json")); !os.IsNotExist(err) {
		t.Errorf("record of removed network %s: %v, want it gone", n.Name, err)
	}
	if br := n.Options["com.docker.network.bridge.name"]; br == "" || bridgeUp(br) {
		t.Errorf("bridge %q of removed network %s still there", br, n.Name)
	}
	if rs := masqRules(t, n.Id); len(rs) != 0 {
		t.Errorf("masquerade rule of removed network %s left: %q", n.Name, rs)
	}
	if _, err := os.Stat(filepath.Join(e.runRoot, "cni", "ipam", n.Id)); !os.IsNotExist(err) {
		t.Errorf("allocations of removed network %s: %v, want them gone", n.Name, err)
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range lines(s) {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func processesNaming(id string) []string {
	ents, _ := os.ReadDir("/proc")
	var out []string
	for _, de := range ents {
		if _, err := strconv.Atoi(de.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + de.Name() + "/cmdline")
		if err == nil && strings.Contains(string(b), id) {
			out = append(out, de.Name()+": "+strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
	return out
}

// freeHostPort is a TCP port free on all addresses right now.
func freeHostPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// get fetches url, retrying while the server in the container starts.
func get(t *testing.T, url string) (string, error) {
	t.Helper()
	c := &http.Client{Timeout: 2 * time.Second}
	var err error
	for try := 0; try < 30; try++ {
		var resp *http.Response
		if resp, err = c.Get(url); err == nil {
			b, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if rerr == nil && resp.StatusCode == 200 {
				return string(b), nil
			}
			err = fmt.Errorf("status %d, read error %v", resp.StatusCode, rerr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return "", err
}

// otherHostAddr is a non-loopback IPv4 address of the host, if any.
func otherHostAddr() string {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !strings.HasPrefix(n.IP.String(), "10.8") {
			return n.IP.String()
		}
	}
	return ""
}

// httpdScript serves a page naming the container from /www on port 80.
const httpdScript = `mkdir -p /www && echo "page of $(hostname)" > /www/index.html && exec httpd -f -p 80 -h /www`

// TestNetworkDefaultBridge: a container on the default network has eth0
// with an address in the network's subnet, and that subnet overlaps none
// of the host's routes other than through its own bridge.
func TestNetworkDefaultBridge(t *testing.T) {
	e, name := netEnv(t)
	out := e.must("run", "--rm", "--name", name, "busybox:test", "ip", "-4", "-o", "addr", "show", "eth0")
	doc := e.inspectNetwork("bridge")
	subnet, err := netip.ParsePrefix(doc.IPAM.Config[0]["Subnet"])
	if err != nil {
		t.Fatalf("bridge subnet: %v (%+v)", err, doc.IPAM)
	}
	f := strings.Fields(out)
	if len(f) < 4 || f[1] != "eth0" {
		t.Fatalf("ip addr show eth0: %q", out)
	}
	addr, err := netip.ParsePrefix(f[3])
	if err != nil || !subnet.Contains(addr.Addr()) {
		t.Errorf("eth0 has %q, want an address in %s", f[3], subnet)
	}
	routes, err := exec.Command("ip", "-4", "route", "show").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines(string(routes)) {
		fs := strings.Fields(l)
		if len(fs) == 0 || fs[0] == "default" || strings.Contains(l, doc.Options["com.docker.network.bridge.name"]) {
			continue
		}
		if r, err := netip.ParsePrefix(fs[0]); err == nil && r.Overlaps(subnet) {
			t.Errorf("default subnet %s overlaps host route %q", subnet, l)
		}
	}
	if out := e.must("network", "ls", "--format", "{{.Name}} {{.Driver}}"); out != "bridge bridge\nhost host\nnone null\n" {
		t.Errorf("network ls: %q, want Docker's three built-in networks", out)
	}
}

// TestNetworkPublish: -p 127.0.0.1:PORT:80 reaches busybox httpd from
// the host, a port on all addresses also on the host's other address, -P
// publishes what the image exposes, `cais port` says so; with both
// runtimes.
func TestNetworkPublish(t *testing.T) {
	for _, rt := range []string{"cais-runtime", "runc"} {
		t.Run(rt, func(t *testing.T) {
			e, name := netEnv(t)
			p1, p2 := freeHostPort(t), freeHostPort(t)
			id := strings.TrimSpace(e.must("run", "-d", "--name", name, "--runtime", rt,
				"-p", fmt.Sprintf("127.0.0.1:%d:80", p1), "-p", fmt.Sprintf("%d:80/tcp", p2),
				"busybox:test", "sh", "-c", httpdScript))
			want := "page of " + id[:12] + "\n"
			if got, err := get(t, fmt.Sprintf("http://127.0.0.1:%d/", p1)); err != nil || got != want {
				t.Errorf("127.0.0.1:%d: got %q, %v; want %q", p1, got, err, want)
			}
			if got, err := get(t, fmt.Sprintf("http://127.0.0.1:%d/", p2)); err != nil || got != want {
				t.Errorf("127.0.0.1:%d (published on all addresses): got %q, %v", p2, got, err)
			}
			if other := otherHostAddr(); other != "" {
				if got, err := get(t, fmt.Sprintf("http://%s:%d/", other, p2)); err != nil || got != want {
					t.Errorf("%s:%d: got %q, %v", other, p2, got, err)
				}
			}
			out := e.must("port", name)
			wantPort := fmt.Sprintf("80/tcp -> 127.0.0.1:%d\n80/tcp -> 0.0.0.0:%d\n", p1, p2)
			if out != wantPort {
				t.Errorf("cais port: got %q, want %q", out, wantPort)
			}
			if out := e.must("port", name, "80/tcp"); out != fmt.Sprintf("127.0.0.1:%d\n0.0.0.0:%d\n", p1, p2) {
				t.Errorf("cais port 80/tcp: %q", out)
			}
			if out := e.must("ps", "--format", "{{.Ports}}"); out != fmt.Sprintf("127.0.0.1:%d->80/tcp, 0.0.0.0:%d->80/tcp\n", p1, p2) {
				t.Errorf("ps PORTS: %q", out)
			}
			if r := e.run("port", name, "81"); r.code == 0 || !strings.Contains(r.stderr, "81/tcp") {
				t.Errorf("cais port 81: code %d, stderr %q; want a failure naming 81/tcp", r.code, r.stderr)
			}
			var docs []struct {
				NetworkSettings struct {
					IPAddress, Gateway, MacAddress string
					Ports                          map[string][]struct{ HostIp, HostPort string }
					Networks                       map[string]struct{ IPAddress, NetworkID, MacAddress string }
				}
				HostConfig struct {
					NetworkMode  string
					PortBindings map[string][]struct{ HostIp, HostPort string }
				}
			}
			if err := json.Unmarshal([]byte(e.must("inspect", name)), &docs); err != nil {
				t.Fatal(err)
			}
			ns := docs[0].NetworkSettings
			if ns.IPAddress == "" || ns.Networks["bridge"].IPAddress != ns.IPAddress || ns.MacAddress == "" ||
				len(ns.Ports["80/tcp"]) != 2 || ns.Ports["80/tcp"][0].HostPort != strconv.Itoa(p1) || docs[0].HostConfig.NetworkMode != "bridge" {
				t.Errorf("inspect NetworkSettings: %+v, mode %q", ns, docs[0].HostConfig.NetworkMode)
			}
			if pb := docs[0].HostConfig.PortBindings["80/tcp"]; len(pb) != 2 || pb[1].HostPort != strconv.Itoa(p2) {
				t.Errorf("inspect HostConfig.PortBindings: %+v", docs[0].HostConfig.PortBindings)
			}
			// The container's own address answers too (hairpin not needed).
			if got, err := get(t, "http://"+ns.IPAddress+"/"); err != nil || got != want {
				t.Errorf("container address %s: got %q, %v", ns.IPAddress, got, err)
			}
			e.must("rm", "-f", name)
			e.checkNetGone([]string{id})
			// -P: the image exposes 80/tcp.
			e.must("import", "-c", `EXPOSE 80`, "-c", `CMD ["/bin/sh"]`, fixture.BusyboxRootfs(t), "busybox:exposed")
			id = strings.TrimSpace(e.must("run", "-d", "--name", name, "--runtime", rt, "-P", "busybox:exposed", "sh", "-c", httpdScript))
			hp := strings.TrimSpace(e.must("port", name, "80"))
			_, port, _ := strings.Cut(hp, ":")
			if got, err := get(t, "http://127.0.0.1:"+port+"/"); err != nil || got != "page of "+id[:12]+"\n" {
				t.Errorf("-P mapped %q: got %q, %v", hp, got, err)
			}
			e.must("rm", "-f", name)
			e.checkNetGone([]string{id})
		})
	}
}

// TestNetworkCleanupPaths: rm -f of a running container, a failed start,
// --rm, and rm -f after the monitor was SIGKILLed leave nothing of the
// container's networking behind.
func TestNetworkCleanupPaths(t *testing.T) {
	e, name := netEnv(t)
	port := strconv.Itoa(freeHostPort(t))
	pub := "127.0.0.1:" + port + ":80"

	id := strings.TrimSpace(e.must("run", "-d", "--name", name, "-p", pub, "busybox:test", "sleep", "60"))
	if rules, _ := exec.Command("iptables-save").Output(); !strings.Contains(string(rules), id) {
		t.Fatalf("no iptables rule names the running container %s; the check below would prove nothing", id[:12])
	}
	e.must("rm", "-f", name)
	e.checkNetGone([]string{id})

	r := e.run("run", "--name", name, "-p", pub, "busybox:test", "/no/such/cmd")
	if r.code != 127 {
		t.Errorf("missing command: exit %d (%s), want 127", r.code, r.stderr)
	}
	e.run("rm", "-f", name) // cais removes a container that failed to start; make sure
	if out := e.must("ps", "-aq"); out != "" {
		t.Errorf("after failed start: ps -aq %q", out)
	}
	e.checkNetGone(nil)

	r = e.run("run", "--rm", "--name", name, "-p", pub, "busybox:test", "sh", "-c", "ip -4 -o addr show eth0 | grep -q inet && echo up")
	if r.code != 0 || r.stdout != "up\n" {
		t.Errorf("--rm run: %d %q %q", r.code, r.stdout, r.stderr)
	}
	e.checkNetGone(nil)

	id = strings.TrimSpace(e.must("run", "-d", "--name", name, "-p", pub, "busybox:test", "sleep", "60"))
	b, err := os.ReadFile(filepath.Join(e.runRoot, "m", id[:16], "monitor.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.Fields(string(b))[0])
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	e.must("rm", "-f", name)
	e.checkNetGone([]string{id})
}

// TestNetworkUserDefined: create/inspect/ls/rm, --internal, name and
// alias resolution between containers, connect/disconnect on a running
// container, rm refused while in use.
func TestNetworkUserDefined(t *testing.T) {
	e, name := netEnv(t)
	net1 := name + "-n"
	e.must("network", "create", "--label", "team=a", net1)
	doc := e.inspectNetwork(net1)
	if doc.Name != net1 || doc.Labels["team"] != "a" || doc.Internal || len(doc.IPAM.Config) != 1 {
		t.Errorf("inspect: %+v", doc)
	}
	if out := e.must("network", "ls", "-q", "--filter", "label=team=a"); strings.TrimSpace(out) != doc.Id[:12] {
		t.Errorf("ls -q --filter label: %q, want %s", out, doc.Id[:12])
	}
	web := name + "-web"
	webID := strings.TrimSpace(e.must("run", "-d", "--name", web, "--network", net1, "--network-alias", "www", "busybox:test", "sh", "-c", httpdScript))
	want := "page of " + webID[:12] + "\n"
	for _, host := range []string{web, "www"} {
		r := e.run("run", "--rm", "--network", net1, "busybox:test", "sh", "-c",
			"for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://"+host+"/ && exit 0; sleep 0.2; done; exit 1")
		if r.code != 0 || r.stdout != want {
			t.Errorf("wget http://%s/: code %d %q %q, want %q", host, r.code, r.stdout, r.stderr, want)
		}
	}
	if r := e.run("network", "rm", net1); r.code == 0 || !strings.Contains(r.stderr, "in use") {
		t.Errorf("network rm in use: code %d, %q", r.code, r.stderr)
	}
	if d := e.inspectNetwork(net1); len(d.Containers) != 1 || d.Containers[webID].Name != web {
		t.Errorf("inspect Containers: %+v", d.Containers)
	}

	// connect/disconnect a running container on the default network.
	other := name + "-o"
	oID := strings.TrimSpace(e.must("run", "-d", "--name", other, "busybox:test", "sleep", "60"))
	if r := e.run("exec", other, "ip", "link", "show", "eth1"); r.code == 0 {
		t.Fatalf("eth1 before connect: %q", r.stdout)
	}
	e.must("network", "connect", "--alias", "oth", net1, other)
	if out := e.must("exec", other, "wget", "-qO-", "http://www/"); out != want {
		t.Errorf("after connect, wget http://www/: %q", out)
	}
	if out := e.must("exec", web, "cat", "/etc/hosts"); !strings.Contains(out, " oth") || !strings.Contains(out, other) {
		t.Errorf("web's hosts after connect lacks %s/oth:\n%s", other, out)
	}
	e.must("network", "disconnect", net1, other)
	if r := e.run("exec", other, "ip", "link", "show", "eth1"); r.code == 0 {
		t.Errorf("eth1 after disconnect: %q", r.stdout)
	}
	if out := e.must("exec", web, "cat", "/etc/hosts"); strings.Contains(out, other) {
		t.Errorf("web's hosts after disconnect still names %s:\n%s", other, out)
	}
	e.must("rm", "-f", web, other)
	e.checkNetGone([]string{webID, oID})
	e.must("network", "rm", net1)
	e.checkNetRemoved(doc)
	if r := e.run("network", "inspect", net1); r.code == 0 {
		t.Errorf("inspect after rm: %q", r.stdout)
	}

	// --internal: no default route, so nothing beyond the subnet.
	in := name + "-i"
	e.must("network", "create", "--internal", "--subnet", "172.30.99.0/24", in)
	out := e.must("run", "--rm", "--network", in, "busybox:test", "ip", "-4", "route")
	if strings.Contains(out, "default") || !strings.Contains(out, "172.30.99.0/24") {
		t.Errorf("routes on an internal network: %q", out)
	}
	inDoc := e.inspectNetwork(in)
	if out := e.must("network", "prune", "-f"); !strings.Contains(out, in) {
		t.Errorf("network prune: %q", out)
	}
	e.checkNetRemoved(inDoc)
}

// TestNetworkContainerMode: --network container:ID joins the other's
// namespace.
func TestNetworkContainerMode(t *testing.T) {
	e, name := netEnv(t)
	id := strings.TrimSpace(e.must("run", "-d", "--name", name, "busybox:test", "sleep", "60"))
	addr := e.must("exec", name, "ip", "-4", "-o", "addr", "show", "eth0")
	f := strings.Fields(addr)
	if len(f) < 4 {
		t.Fatalf("eth0: %q", addr)
	}
	out := e.must("run", "--rm", "--network", "container:"+name, "busybox:test", "ip", "-4", "-o", "addr", "show", "eth0")
	if g := strings.Fields(out); len(g) < 4 || g[3] != f[3] {
		t.Errorf("container: mode sees %q, want the other's %s", out, f[3])
	}
	// It also shares the other's host name and hosts file, as Docker.
	own := e.must("exec", name, "sh", "-c", "hostname; cat /etc/hosts")
	if out := e.must("run", "--rm", "--network", "container:"+name, "busybox:test", "sh", "-c", "hostname; cat /etc/hosts"); out != own {
		t.Errorf("container: mode's hostname and hosts:\n%s\nwant the other's:\n%s", out, own)
	}
	e.must("rm", "-f", name)
	e.checkNetGone([]string{id})
}

// TestNetworkBadInput: clear errors, exit 125, nothing left.
func TestNetworkBadInput(t *testing.T) {
	e, name := netEnv(t)
	e.must("network", "create", "--subnet", "172.30.98.0/24", name+"-n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--rm", "--name", name, "-p", "70000:80", "busybox:test", "true"}, "70000"},
		{[]string{"run", "--rm", "--name", name, "--network", "nosuch", "busybox:test", "true"}, "network nosuch not found"},
		{[]string{"run", "--rm", "--name", name, "--network", name + "-n", "--ip", "10.1.2.3", "busybox:test", "true"}, "not in network"},
		{[]string{"run", "--rm", "--name", name, "--network", "none", "-p", "80", "busybox:test", "true"}, "need a bridge network"},
		{[]string{"network", "create", "--subnet", "172.30.98.128/25", name + "-o"}, "overlaps"},
		{[]string{"--cni-path", "/nonexistent/cni", "run", "--rm", "--name", name, "busybox:test", "true"}, `CNI plugin "bridge" not found in /nonexistent/cni`},
		{[]string{"network", "create", "--subnet", "172.30.97.0/24", "--gateway", "172.30.96.1", name + "-o"}, "gateway"},
	} {
		r := e.run(tc.args...)
		if r.code != 125 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("cais %v: exit %d, stderr %q; want 125 and %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
	if out := e.must("ps", "-aq"); out != "" {
		t.Errorf("containers left: %q", out)
	}
	if out := e.must("network", "ls", "--format", "{{.Name}}", "--filter", "type=custom"); out != name+"-n\n" {
		t.Errorf("networks after bad input: %q", out)
	}
	e.checkNetGone(nil)
	e.must("network", "rm", name+"-n")
}

// TestNetworkRestartKeepsAddress: restarts under a restart policy run in
// the same namespace with the same address; removal releases it.
func TestNetworkRestartKeepsAddress(t *testing.T) {
	e, name := netEnv(t)
	id := strings.TrimSpace(e.must("run", "-d", "--name", name, "--restart", "on-failure:2", "busybox:test",
		"sh", "-c", "ip -4 -o addr show eth0 | awk '{print $4}'; exit 1"))
	if code := strings.TrimSpace(e.must("wait", name)); code != "1" {
		t.Errorf("wait: %q, want 1", code)
	}
	out := lines(e.must("logs", name))
	if len(out) != 3 || out[0] == "" || out[1] != out[0] || out[2] != out[0] {
		t.Errorf("addresses over three runs: %q, want the same one three times", out)
	}
	e.must("rm", name)
	e.checkNetGone([]string{id})
}

// TestNetworkStaticIPAndMAC: --ip (anywhere in the subnet, also outside
// --ip-range) and --mac-address reach the container and inspect; dynamic
// addresses come from the range.
func TestNetworkStaticIPAndMAC(t *testing.T) {
	e, name := netEnv(t)
	nw := name + "-n"
	e.must("network", "create", "--subnet", "172.30.96.0/24", "--ip-range", "172.30.96.128/25", nw)
	id := strings.TrimSpace(e.must("run", "-d", "--name", name, "--network", nw, "--ip", "172.30.96.50",
		"--mac-address", "92:d0:c6:0a:29:33", "busybox:test", "sleep", "60"))
	if out := e.must("exec", name, "sh", "-c", "ip -o addr show eth0; ip -o link show eth0"); !strings.Contains(out, "172.30.96.50/24") || !strings.Contains(out, "92:d0:c6:0a:29:33") {
		t.Errorf("eth0 with --ip and --mac-address: %q", out)
	}
	got := e.must("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{.MacAddress}}{{end}}", name)
	if got != "172.30.96.50 92:d0:c6:0a:29:33\n" {
		t.Errorf("inspect: %q", got)
	}
	out := e.must("run", "--rm", "--network", nw, "busybox:test", "ip", "-4", "-o", "addr", "show", "eth0")
	if f := strings.Fields(out); len(f) < 4 || !strings.HasPrefix(f[3], "172.30.96.") || strings.TrimSuffix(strings.TrimPrefix(f[3], "172.30.96."), "/24") < "128" {
		t.Errorf("dynamic address %q, want one in 172.30.96.128/25", out)
	}
	if r := e.run("run", "--rm", "--network", nw, "--ip", "172.30.96.50", "busybox:test", "true"); r.code != 125 || !strings.Contains(r.stderr, "172.30.96.50") {
		t.Errorf("--ip already in use: exit %d, %q", r.code, r.stderr)
	}
	e.must("rm", "-f", name)
	e.checkNetGone([]string{id})
	doc := e.inspectNetwork(nw)
	e.must("network", "rm", nw)
	e.checkNetRemoved(doc)
}

// TestNetworkAcceptanceShape is the scenario without volumes: a
// web server published on the default network, connected later to a
// user-defined network where another container reaches it by name; then
// nothing is left, also after its monitor was SIGKILLed.
func TestNetworkAcceptanceShape(t *testing.T) {
	for _, rt := range []string{"cais-runtime", "runc"} {
		t.Run(rt, func(t *testing.T) {
			e, name := netEnv(t)
			web, nw := name+"-web", name+"-n"
			port := freeHostPort(t)
			id := strings.TrimSpace(e.must("run", "-d", "--name", web, "--runtime", rt, "-p", fmt.Sprintf("%d:80", port),
				"busybox:test", "sh", "-c", httpdScript))
			want := "page of " + id[:12] + "\n"
			if got, err := get(t, fmt.Sprintf("http://127.0.0.1:%d/", port)); err != nil || got != want {
				t.Fatalf("127.0.0.1:%d: %q, %v", port, got, err)
			}
			e.must("network", "create", nw)
			e.must("network", "connect", nw, web)
			if out := e.must("run", "--rm", "--runtime", rt, "--network", nw, "busybox:test", "wget", "-qO-", "http://"+web+"/"); out != want {
				t.Errorf("wget http://%s/ on %s: %q", web, nw, out)
			}
			b, err := os.ReadFile(filepath.Join(e.runRoot, "m", id[:16], "monitor.pid"))
			if err != nil {
				t.Fatal(err)
			}
			pid, _ := strconv.Atoi(strings.Fields(string(b))[0])
			syscall.Kill(pid, syscall.SIGKILL)
			e.must("rm", "-f", web)
			doc := e.inspectNetwork(nw)
			e.must("network", "rm", nw)
			e.checkNetGone([]string{id})
			e.checkNetRemoved(doc)
		})
	}
}

// TestNetworkSeveral: repeated --network gives eth0, eth1 in order, each
// in its network's subnet.
func TestNetworkSeveral(t *testing.T) {
	e, name := netEnv(t)
	e.must("network", "create", "--subnet", "172.30.94.0/24", name+"-a")
	e.must("network", "create", "--subnet", "172.30.95.0/24", name+"-b")
	out := e.must("run", "--rm", "--name", name, "--network", name+"-a", "--network", name+"-b", "busybox:test",
		"sh", "-c", "ip -4 -o addr show eth0; ip -4 -o addr show eth1")
	if !strings.Contains(out, "eth0    inet 172.30.94.") || !strings.Contains(out, "eth1    inet 172.30.95.") {
		t.Errorf("two networks: %q", out)
	}
	if r := e.run("run", "--rm", "--network", "none", "--network", name+"-a", "busybox:test", "true"); r.code != 125 || !strings.Contains(r.stderr, "cannot be combined") {
		t.Errorf("none with another network: exit %d, %q", r.code, r.stderr)
	}
	e.checkNetGone(nil)
	docs := []networkDoc{e.inspectNetwork(name + "-a"), e.inspectNetwork(name + "-b")}
	e.must("network", "rm", name+"-a", name+"-b")
	for _, d := range docs {
		e.checkNetRemoved(d)
	}
}

// TestNetworkEtcFiles: on the default bridge, /etc/hosts names the
// container at its own address and host-gateway is the network's gateway.
func TestNetworkEtcFiles(t *testing.T) {
	e, name := netEnv(t)
	out := e.must("run", "--rm", "--name", name, "-h", "box", "--add-host", "gw:host-gateway", "busybox:test",
		"sh", "-c", "cat /etc/hosts; ip -4 -o addr show eth0")
	gw := e.inspectNetwork("bridge").IPAM.Config[0]["Gateway"]
	if !hasLine(out, gw+"\tgw") {
		t.Errorf("host-gateway: want %s\\tgw in:\n%s", gw, out)
	}
	var own string
	for _, l := range lines(out) {
		if f := strings.Fields(l); len(f) >= 4 && f[1] == "eth0" {
			own, _, _ = strings.Cut(f[3], "/")
		}
	}
	if own == "" || !hasLine(out, own+"\tbox") {
		t.Errorf("want the container's own line %q\\tbox in:\n%s", own, out)
	}
}
