package cli_test

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cais-project/cais/internal/engine/network"
	"github.com/cais-project/cais/internal/testgate"
)

// runNetNS runs cais under `nsenter --net=nsPath`, stdio in temp files.
func (e *env) runNetNS(nsPath string, args ...string) result {
	e.t.Helper()
	cmd := e.command("", args...)
	cmd.Args = append([]string{"nsenter", "--net=" + nsPath}, cmd.Args...)
	cmd.Path = "/usr/bin/nsenter"
	outF, errF := e.tempFile(), e.tempFile()
	cmd.Stdout, cmd.Stderr = outF, errF
	err := cmd.Run()
	r := result{stdout: readFile(e.t, outF.Name()), stderr: readFile(e.t, errF.Name())}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		e.t.Fatalf("nsenter cais %v: %v", args, err)
	}
	return r
}

// TestNetworkInOtherNetNS: cais entered into a network namespace the test
// made (a bind-mounted nsfs file, the host's sysfs still mounted) finds
// its bridge there, not in /sys/class/net (which shows the host's
// devices): two `run --rm` on the default network both succeed, the
// second on the bridge the first made, and neither bridge nor rule lands
// on the host.
func TestNetworkInOtherNetNS(t *testing.T) {
	testgate.Binary(t, "/usr/bin/nsenter")
	e, _ := netEnv(t)
	ns := filepath.Join(t.TempDir(), "netns")
	if err := network.NewNetNS(ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := network.RemoveNetNS(ns); err != nil {
			t.Error(err)
		}
	})
	inNS := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("nsenter", append([]string{"--net=" + ns}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("nsenter %v: %v: %s", args, err, out)
		}
		return string(out)
	}
	var br, id string
	for i := range 2 {
		r := e.runNetNS(ns, "run", "--rm", "busybox:test", "ip", "-4", "-o", "addr", "show", "eth0")
		if r.code != 0 || !strings.Contains(r.stdout, "inet ") {
			t.Fatalf("run --rm #%d in the test's network namespace: exit %d, stdout %q, stderr %q", i+1, r.code, r.stdout, r.stderr)
		}
		if i == 0 {
			n := e.inspectNetwork("bridge")
			br, id = n.Options["com.docker.network.bridge.name"], n.Id
			if bridgeUp(br) {
				t.Fatalf("bridge %s is on the host; want it only in the test's namespace", br)
			}
		}
	}
	if out := inNS("ip", "-o", "link", "show", br); !strings.Contains(out, br) {
		t.Errorf("bridge %s in the test's namespace: %q", br, out)
	}
	if rs := grepLines(inNS("iptables", "-w", "-t", "nat", "-S", "POSTROUTING"), "cais-"+id[:12]); len(lines(rs)) != 1 {
		t.Errorf("masquerade rules in the test's namespace: %q, want one", rs)
	}
	if bridgeUp(br) || len(masqRules(t, id)) != 0 {
		t.Errorf("bridge %s or its rule on the host", br)
	}
}
