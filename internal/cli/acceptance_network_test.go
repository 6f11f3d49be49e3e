package cli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestAcceptanceVolNet is the scenario of the networks-and-volumes
// issue, with both runtimes, in two endings: a plain `rm -f`, and one after
// the web container's monitor was killed with SIGKILL. A named volume gets
// a page from one container; `web` serves it on a published port and, once
// connected to a user-defined network, by name to a container on that
// network; after removing everything, no veth, netns, IP allocation,
// iptables rule, mount or process of theirs is left. "Theirs" does not
// take in the default network's bridge and masquerade rule: that is
// Docker's docker0, which stays as long as the default network (it cannot
// be removed), with nothing plugged in; the user network's bridge and rule
// go with `network rm`. The env's teardown removes the default one.
func TestAcceptanceVolNet(t *testing.T) {
	for _, rt := range []string{"cais-runtime", "runc"} {
		for _, killMonitor := range []bool{false, true} {
			ending := "rm" // short: the test's temp dir holds the monitor's socket
			if killMonitor {
				ending = "kill"
			}
			t.Run(rt+"/"+ending, func(t *testing.T) {
				e, name := netEnv(t)
				web, nw, vol := name+"-web", name+"-n", name+"-www"
				page := "page from the volume of " + name + "\n"

				e.must("run", "--rm", "--runtime", rt, "-v", vol+":/www", "busybox:test",
					"sh", "-c", fmt.Sprintf("printf '%%s\\n' '%s' > /www/index.html", strings.TrimSuffix(page, "\n")))
				port := freeHostPort(t)
				id := strings.TrimSpace(e.must("run", "-d", "--name", web, "--runtime", rt,
					"-p", fmt.Sprintf("%d:80", port), "-v", vol+":/www", "busybox:test", "httpd", "-f", "-p", "80", "-h", "/www"))

				if got, err := get(t, fmt.Sprintf("http://127.0.0.1:%d/", port)); err != nil || got != page {
					t.Fatalf("curl http://127.0.0.1:%d/: %q, %v; want %q", port, got, err, page)
				}
				e.must("network", "create", nw)
				e.must("network", "connect", nw, web)
				if got := e.must("run", "--rm", "--runtime", rt, "--network", nw, "busybox:test",
					"wget", "-qO-", "http://"+web+"/"); got != page {
					t.Errorf("wget http://%s/ on %s: %q, want %q", web, nw, got, page)
				}

				if killMonitor {
					b, err := os.ReadFile(filepath.Join(e.runRoot, "m", id[:16], "monitor.pid"))
					if err != nil {
						t.Fatal(err)
					}
					pid, _ := strconv.Atoi(strings.Fields(string(b))[0])
					if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
						t.Fatal(err)
					}
					// The next command tells the truth about the container.
					if out := e.must("ps", "--filter", "name="+web, "--format", "{{.Status}}"); !strings.HasPrefix(out, "Up") {
						t.Errorf("ps after the monitor was killed: %q, want Up (httpd still runs)", out)
					}
				}
				e.must("rm", "-f", web)
				nwDoc := e.inspectNetwork(nw)
				e.must("network", "rm", nw)
				e.must("volume", "rm", vol)
				e.checkNetGone([]string{id})
				e.checkNetRemoved(nwDoc)
				def := e.inspectNetwork("bridge")
				if !bridgeUp(def.Options["com.docker.network.bridge.name"]) {
					t.Errorf("the default network's bridge (docker0's part) is gone; want it kept")
				}
				e.wantMasq(def)
				if out := e.must("ps", "-a", "-q"); out != "" {
					t.Errorf("containers left: %q", out)
				}
				if out := e.must("volume", "ls", "-q"); out != "" {
					t.Errorf("volumes left: %q", out)
				}
				if _, err := os.Stat(filepath.Join(e.root, "volumes", vol)); !os.IsNotExist(err) {
					t.Errorf("volume directory of %s: %v, want it gone", vol, err)
				}
			})
		}
	}
}
