package network

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cais-project/cais/internal/testgate"
)

// refusingIPTables is an iptables that fails on the nat table (the
// masquerade rule's) and passes everything else to the real one.
const refusingIPTables = `#!/bin/sh
for a; do
	if [ "$a" = nat ]; then echo "test: nat table refused" >&2; exit 2; fi
done
exec /usr/sbin/iptables "$@"
`

// TestAttachMasqFailure: when the network's masquerade rule cannot be
// installed (checked while the bridge plugin's ADD runs), Attach fails
// with iptables' message and leaves nothing: no device but lo in the
// container's namespace, no address allocated, no libcni cache file, and
// no bridge (it was the network's first attach).
func TestAttachMasqFailure(t *testing.T) {
	testgate.Root(t)
	testgate.Binary(t, "/usr/sbin/iptables")
	testgate.Binary(t, "/usr/bin/nsenter")
	testgate.Binary(t, "/usr/sbin/ip")
	testgate.Binary(t, "/usr/lib/cni/bridge")
	testgate.Binary(t, "/usr/lib/cni/host-local")
	st := &Store{Root: t.TempDir(), RunRoot: t.TempDir()}
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "iptables"), []byte(refusingIPTables), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))

	n, err := st.Create(CreateOptions{Name: "masqfail"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deleteLink(n.Bridge) })
	const id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	ns := st.NetNSPath(id)
	if err := NewNetNS(ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { RemoveNetNS(ns) })

	_, err = st.Attach(context.Background(), n, id, ns, AttachOptions{IfName: "eth0"})
	if err == nil || !strings.Contains(err.Error(), "masquerade rule") || !strings.Contains(err.Error(), "test: nat table refused") {
		t.Fatalf("Attach with the nat table refused: %v; want the masquerade rule's error", err)
	}
	out, err := exec.Command("nsenter", "--net="+ns, "ip", "-o", "link", "show").CombinedOutput()
	if err != nil || strings.Count(string(out), "\n") != 1 || !strings.Contains(string(out), "lo:") {
		t.Errorf("devices in the namespace after the failed attach: %q (%v), want lo alone", out, err)
	}
	filepath.WalkDir(filepath.Join(st.RunRoot, "cni"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(p, "/ipam/") && d.Name() != "lock" && !strings.HasPrefix(d.Name(), "last_reserved_ip") {
			t.Errorf("address allocation left: %s", p)
		}
		if err == nil && !d.IsDir() && strings.Contains(p, "/cache/") {
			t.Errorf("libcni cache file left: %s", p)
		}
		return nil
	})
	if linkExists(n.Bridge) {
		t.Errorf("bridge %s left by a failed first attach", n.Bridge)
	}
}
