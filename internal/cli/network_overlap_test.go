package cli_test

import (
	"strings"
	"testing"
)

// TestNetworkBundleFailureDuringAttach: on a bridge network the engine
// makes the bundle while the plugins attach the container. A bundle that
// fails (here the spec: --user names nobody in the image's passwd) must
// still undo the attachment the plugins made meanwhile: no record,
// namespace, IP lease, CNI cache entry or veth; and a run right after
// gets the network as usual.
func TestNetworkBundleFailureDuringAttach(t *testing.T) {
	e, name := netEnv(t)
	for i := 0; i < 3; i++ {
		r := e.run("run", "--rm", "--name", name, "--user", "nosuchuser", "busybox:test", "true")
		if r.code != 125 || !strings.Contains(r.stderr, "nosuchuser") {
			t.Fatalf("run --user nosuchuser: exit %d, stderr %q; want 125 naming the user", r.code, r.stderr)
		}
		if out := e.must("ps", "-aq"); out != "" {
			t.Fatalf("containers left after a failed create: %q", out)
		}
		e.checkNetGone(nil)
		if left := e.leftovers(); len(left) != 0 {
			t.Fatalf("state left after a failed create: %v", left)
		}
	}
	out := e.must("run", "--rm", "--name", name, "busybox:test", "sh", "-c", "ip -o -4 addr show eth0")
	if !strings.Contains(out, "inet ") {
		t.Errorf("run after the failures: eth0 has no address: %q", out)
	}
}
