package cli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// failingPortmap is a CNI plugin that fails every ADD with a message of
// its own and lets every other command succeed.
const failingPortmap = `#!/bin/sh
case "$CNI_COMMAND" in
ADD) echo '{"cniVersion":"1.0.0","code":100,"msg":"test portmap failure"}'; exit 1 ;;
VERSION) echo '{"cniVersion":"1.0.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}' ;;
esac
exit 0
`

// cniPathFailingPortmap is a plugin directory with the standard plugins
// but a portmap whose ADD fails, after bridge has made its bridge.
func cniPathFailingPortmap(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, p := range []string{"bridge", "host-local", "firewall", "tuning", "loopback"} {
		if err := os.Symlink(filepath.Join("/usr/lib/cni", p), filepath.Join(dir, p)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "portmap"), []byte(failingPortmap), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestNetworkFailedAttach: an attach that fails after the bridge plugin
// made the network's bridge (its first) removes that bridge and the rule,
// so the next attach claims the subnet again; one that fails on a bridge
// that was already there (kept from an earlier container) leaves bridge
// and rule as they were. Either way the container's own state is gone.
func TestNetworkFailedAttach(t *testing.T) {
	e, name := netEnv(t)
	cni := cniPathFailingPortmap(t)
	nw := name + "-n"
	e.must("network", "create", nw)
	doc := e.inspectNetwork(nw)
	br := doc.Options["com.docker.network.bridge.name"]
	failing := func() {
		t.Helper()
		pub := fmt.Sprintf("127.0.0.1:%d:80", freeHostPort(t))
		r := e.run("--cni-path", cni, "run", "--rm", "--network", nw, "-p", pub, "busybox:test", "true")
		if r.code != 125 || !strings.Contains(r.stderr, "test portmap failure") {
			t.Fatalf("run with a failing portmap: exit %d, stderr %q; want 125 and the plugin's message", r.code, r.stderr)
		}
		if out := e.must("ps", "-aq"); out != "" {
			t.Errorf("containers left after a failed attach: %q", out)
		}
	}

	failing()
	if bridgeUp(br) {
		t.Errorf("bridge %s left by a failed first attach", br)
	}
	if rs := masqRules(t, doc.Id); len(rs) != 0 {
		t.Errorf("masquerade rule left by a failed first attach: %q", rs)
	}
	e.checkNetGone(nil)

	e.must("run", "--rm", "--network", nw, "busybox:test", "true")
	idx := bridgeIndex(br)
	if idx == 0 {
		t.Fatalf("bridge %s not kept after a run --rm", br)
	}
	failing()
	if got := bridgeIndex(br); got != idx {
		t.Errorf("bridge %s after a failed attach on the kept bridge: index %d, want the same device (%d)", br, got, idx)
	}
	e.wantMasq(doc)
	e.checkNetGone(nil)
	e.must("network", "rm", nw)
	e.checkNetRemoved(doc)
}
