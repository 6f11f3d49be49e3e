package cli_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cais-project/cais/internal/testgate"
)

// TestAcceptanceWebServer is issue 5's acceptance scenario: busybox httpd
// on the host network with limits and a bind-mounted page; curl gets the
// page; the limits are in the container's cgroup; logs and exec work; a
// SIGKILLed monitor does not hide the truth from ps; stop and rm leave no
// mount, cgroup, state entry or process. With cais-runtime and with runc.
func TestAcceptanceWebServer(t *testing.T) {
	testgate.Binary(t, "/usr/bin/curl")
	for _, rt := range []string{"cais-runtime", "runc"} {
		t.Run(rt, func(t *testing.T) {
			e, name := runEnv(t)
			www := t.TempDir()
			page := "hello from " + name + "\n"
			if err := os.WriteFile(filepath.Join(www, "index.html"), []byte(page), 0o644); err != nil {
				t.Fatal(err)
			}
			openPath(t, www)
			port := freePort(t)
			id := strings.TrimSpace(e.must("run", "-d", "--name", name, "--runtime", rt, "-m", "64m", "--pids-limit", "50",
				"--network", "host", "-v", www+":/www:ro", "busybox:test",
				"sh", "-c", "echo serving on "+port+"; exec httpd -f -p "+port+" -h /www"))

			url := "http://127.0.0.1:" + port + "/"
			var body string
			waitUntil(t, func() bool {
				out, err := exec.Command("curl", "-sf", url).Output()
				body = string(out)
				return err == nil
			})
			if body != page {
				t.Fatalf("curl %s = %q, want %q", url, body, page)
			}

			if got := cgroupValue(t, "memory", id, "memory.limit_in_bytes", "memory.max"); got != "67108864" {
				t.Errorf("memory limit in the container's cgroup = %s, want 67108864", got)
			}
			if got := cgroupValue(t, "pids", id, "pids.max", "pids.max"); got != "50" {
				t.Errorf("pids limit in the container's cgroup = %s, want 50", got)
			}
			if logs := e.must("logs", name); !strings.Contains(logs, "serving on "+port) {
				t.Errorf("logs: %q", logs)
			}
			if out := e.must("exec", name, "cat", "/www/index.html"); out != page {
				t.Errorf("exec cat: %q", out)
			}

			// The monitor dies; the container goes on, and ps says so.
			if err := syscall.Kill(monitorOf(t, e, id), syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			waitUntil(t, func() bool { return strings.Contains(e.must("ps"), name) })
			if out := e.must("ps"); !strings.Contains(out, "Up") {
				t.Errorf("ps after the monitor was killed:\n%s", out)
			}
			if _, err := exec.Command("curl", "-sf", url).Output(); err != nil {
				t.Errorf("the server stopped with its monitor: %v", err)
			}

			e.must("stop", "-t", "1", name)
			e.must("rm", name)
			checkNothingLeft(t, e, []string{id})
			if _, err := exec.Command("curl", "-sf", "--max-time", "2", url).Output(); err == nil {
				t.Error("the server still answers after rm")
			}
		})
	}
}

// cgroupValue reads a limit of container id from its v1 controller
// directory, or from the unified one on v2.
func cgroupValue(t *testing.T, controller, id, v1file, v2file string) string {
	t.Helper()
	p := filepath.Join("/sys/fs/cgroup", controller, "cais", id, v1file)
	if testgate.IsCgroup2() {
		p = filepath.Join("/sys/fs/cgroup/cais", id, v2file)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("reading the container's cgroup: %v", err)
	}
	return strings.TrimSpace(string(b))
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// openPath lets others search every directory from / to dir (t.TempDir
// makes them 0700), so a bind mount of dir is readable in the container.
func openPath(t *testing.T, dir string) {
	t.Helper()
	for d := dir; d != "/"; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		os.Chmod(d, fi.Mode().Perm()|0o055)
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met within 20s")
}
