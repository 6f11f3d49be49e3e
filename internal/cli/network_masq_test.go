package cli_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// masqRules are the lines of the nat table's POSTROUTING chain that are
// the masquerade rule of the network with ID id.
func masqRules(t *testing.T, id string) []string {
	t.Helper()
	out, err := exec.Command("iptables", "-w", "-t", "nat", "-S", "POSTROUTING").Output()
	if err != nil {
		t.Fatalf("iptables -t nat -S POSTROUTING: %v", err)
	}
	var found []string
	for _, l := range lines(string(out)) {
		if strings.Contains(l, "cais-"+id[:12]) {
			found = append(found, l)
		}
	}
	return found
}

// wantMasq fails the test unless n has exactly one masquerade rule, in
// Docker's shape, for its subnet and bridge.
func (e *env) wantMasq(n networkDoc) {
	e.t.Helper()
	rs := masqRules(e.t, n.Id)
	want := "-A POSTROUTING -s " + n.IPAM.Config[0]["Subnet"] + " ! -o " + n.Options["com.docker.network.bridge.name"] +
		" -m comment --comment cais-" + n.Id[:12] + " -j MASQUERADE"
	if len(rs) != 1 || rs[0] != want {
		e.t.Errorf("masquerade rules of network %s: %q, want [%q]", n.Name, rs, want)
	}
}

func bridgeUp(name string) bool {
	_, err := os.Stat("/sys/class/net/" + name)
	return err == nil
}

// bridgeIndex is the interface index of the host device name, 0 when it
// is absent: a bridge deleted and made again gets another.
func bridgeIndex(name string) int {
	b, err := os.ReadFile("/sys/class/net/" + name + "/ifindex")
	if err != nil {
		return 0
	}
	i, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return i
}

// TestNetworkMasquerade: NAT is one rule per network, living as long as
// its bridge, which lives as long as the network (Docker's semantics):
// there while a container is attached, no per-container chain, kept while
// one of two containers remains, and still there (the same bridge) after
// the last one leaves, also when its monitor was killed; added once by
// concurrent first attaches; gone with `network rm`; none for an
// --internal network.
func TestNetworkMasquerade(t *testing.T) {
	e, name := netEnv(t)
	a := strings.TrimSpace(e.must("run", "-d", "--name", name+"-a", "busybox:test", "sleep", "60"))
	n := e.inspectNetwork("bridge")
	br := n.Options["com.docker.network.bridge.name"]
	idx := bridgeIndex(br)
	e.wantMasq(n)
	nat, err := exec.Command("iptables-save", "-t", "nat").Output()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(nat), a) {
		t.Errorf("nat rules name the container %s (a per-container chain):\n%s", a[:12], grepLines(string(nat), a))
	}

	b := strings.TrimSpace(e.must("run", "-d", "--name", name+"-b", "busybox:test", "sleep", "60"))
	e.wantMasq(n)
	e.must("rm", "-f", name+"-a")
	e.wantMasq(n) // b still needs it
	if !bridgeUp(br) {
		t.Errorf("bridge %s gone while %s is attached", br, b[:12])
	}
	e.must("rm", "-f", name+"-b")
	e.wantMasq(n) // the network's, not the containers'
	if got := bridgeIndex(br); idx == 0 || got != idx {
		t.Errorf("bridge %s after the last container: index %d, want the same bridge (%d)", br, got, idx)
	}
	e.checkNetGone([]string{a, b})

	// The last container's monitor killed: the next command's cleanup
	// releases the container, not the network.
	c := strings.TrimSpace(e.must("run", "-d", "--name", name+"-c", "busybox:test", "sleep", "60"))
	e.wantMasq(n)
	pb, err := os.ReadFile(filepath.Join(e.runRoot, "m", c[:16], "monitor.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.Fields(string(pb))[0])
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	e.must("rm", "-f", name+"-c")
	e.wantMasq(n)
	if got := bridgeIndex(br); got != idx {
		t.Errorf("bridge %s after a killed monitor and rm -f: index %d, want %d", br, got, idx)
	}
	e.checkNetGone([]string{c})

	// Attaches at the same time to a network whose bridge is down: one
	// rule, not one per attach.
	par := name + "-p"
	e.must("network", "create", par)
	np := e.inspectNetwork(par)
	rs := make(chan result, 3)
	for i := range 3 {
		go func() {
			rs <- e.run("run", "-d", "--name", fmt.Sprintf("%s-p%d", name, i), "--network", par, "busybox:test", "sleep", "60")
		}()
	}
	for range 3 {
		if r := <-rs; r.code != 0 {
			t.Errorf("concurrent run -d: exit %d: %s", r.code, r.stderr)
		}
	}
	e.wantMasq(np)
	e.must("rm", "-f", name+"-p0", name+"-p1", name+"-p2")
	e.wantMasq(np)
	e.checkNetGone(nil)
	e.must("network", "rm", par)
	e.checkNetRemoved(np)

	// --internal: no masquerade at all.
	in := name + "-i"
	e.must("network", "create", "--internal", in)
	ni := e.inspectNetwork(in)
	e.must("run", "-d", "--name", name+"-d", "--network", in, "busybox:test", "sleep", "60")
	if !bridgeUp(ni.Options["com.docker.network.bridge.name"]) {
		t.Fatalf("internal network's bridge is not up; the check below would prove nothing")
	}
	if rs := masqRules(t, ni.Id); len(rs) != 0 {
		t.Errorf("internal network has masquerade rules: %q", rs)
	}
	e.must("rm", "-f", name+"-d")
	e.must("network", "rm", in)
	e.checkNetRemoved(ni)
}

// TestNetworkBridgeKept: the default network's bridge is made by the
// first container and kept, like docker0: later `run --rm`s find the same
// device (no delete and make per run), and `network rm bridge` is refused
// and leaves it. A user network's bridge stays after its last container
// too, until `network rm` or `network prune` removes it with its rule.
func TestNetworkBridgeKept(t *testing.T) {
	e, name := netEnv(t)
	e.must("run", "--rm", "busybox:test", "true")
	n := e.inspectNetwork("bridge")
	br := n.Options["com.docker.network.bridge.name"]
	idx := bridgeIndex(br)
	if idx == 0 {
		t.Fatalf("default network's bridge %s is not there after a run --rm", br)
	}
	e.wantMasq(n)
	for range 2 {
		e.must("run", "--rm", "busybox:test", "true")
		if got := bridgeIndex(br); got != idx {
			t.Errorf("bridge %s after another run --rm: index %d, want the same device (%d)", br, got, idx)
		}
	}
	e.wantMasq(n)
	e.checkNetGone(nil)
	if r := e.run("network", "rm", "bridge"); r.code == 0 || !strings.Contains(r.stderr, "pre-defined") {
		t.Errorf("network rm bridge: exit %d, %q; want a refusal", r.code, r.stderr)
	}
	if bridgeIndex(br) != idx {
		t.Errorf("bridge %s gone after a refused network rm", br)
	}

	for _, how := range [][]string{{"network", "rm", name + "-rm"}, {"network", "prune", "-f"}} {
		nw := name + "-" + how[1]
		e.must("network", "create", nw)
		e.must("run", "--rm", "--network", nw, "busybox:test", "true")
		doc := e.inspectNetwork(nw)
		if !bridgeUp(doc.Options["com.docker.network.bridge.name"]) {
			t.Errorf("network %s: bridge gone after its last container, want it kept until %v", nw, how)
		}
		e.wantMasq(doc)
		e.checkNetGone(nil)
		e.must(how...)
		e.checkNetRemoved(doc)
	}
	e.wantMasq(n) // the default network is not pruned
}

// TestNetworkLoopbackUp: on a bridge network lo is up with 127.0.0.1
// when the container's process starts (the loopback ADD runs alongside
// the network's and is waited for), and nothing of it is left after.
func TestNetworkLoopbackUp(t *testing.T) {
	e, _ := netEnv(t)
	out := e.must("run", "--rm", "busybox:test", "sh", "-c", "ip -o link show lo; ip -4 -o addr show lo")
	if !strings.Contains(out, "LOOPBACK,UP") || !strings.Contains(out, "inet 127.0.0.1/8") {
		t.Errorf("lo in a container on the default network: %q, want it up with 127.0.0.1/8", out)
	}
	e.checkNetGone(nil)
}
