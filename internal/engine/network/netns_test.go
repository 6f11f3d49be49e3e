package network

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/cais-project/cais/internal/testgate"
)

// TestNewNetNSLoopbackUp: a namespace made by NewNetNS has lo up with
// 127.0.0.1/8 and ::1 (no plugin ran), answers on 127.0.0.1, and has no
// other device; no thread of the caller is left in it; RemoveNetNS leaves
// no file, and a second remove is no error.
func TestNewNetNSLoopbackUp(t *testing.T) {
	testgate.Root(t)
	testgate.Binary(t, "/usr/bin/nsenter")
	testgate.Binary(t, "/usr/sbin/ip")
	testgate.Binary(t, "/bin/busybox")
	host := threadNetNS(t)
	path := filepath.Join(t.TempDir(), "netns", "c1")
	if err := NewNetNS(path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { RemoveNetNS(path) })

	in := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("nsenter", append([]string{"--net=" + path}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("in the namespace: %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	if out := in("ip", "-o", "link", "show"); !strings.Contains(out, "lo: <LOOPBACK,UP,LOWER_UP>") || strings.Count(out, "\n") != 1 {
		t.Errorf("links in the new namespace: %q, want lo alone, up", out)
	}
	out := in("ip", "-o", "addr", "show", "dev", "lo")
	for _, want := range []string{"inet 127.0.0.1/8", "inet6 ::1/128"} {
		if !strings.Contains(out, want) {
			t.Errorf("lo's addresses: %q, want %s", out, want)
		}
	}
	in("busybox", "ping", "-c1", "-W2", "127.0.0.1")

	// Every thread the runtime hands out is still in the caller's
	// namespace: the one that made the namespace was discarded.
	var wg sync.WaitGroup
	for range 2 * runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			if got, err := os.Readlink("/proc/thread-self/ns/net"); err != nil || got != host {
				t.Errorf("a thread in namespace %s (%v) after NewNetNS, want %s", got, err, host)
			}
		}()
	}
	wg.Wait()

	if err := RemoveNetNS(path); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("netns file after RemoveNetNS: %v", err)
	}
	if err := RemoveNetNS(path); err != nil {
		t.Errorf("second RemoveNetNS: %v", err)
	}
}

// TestNewNetNSExisting: a path that is taken is an error naming it, and
// the file there is left as it was (not mounted over, not removed).
func TestNewNetNSExisting(t *testing.T) {
	testgate.Root(t)
	path := filepath.Join(t.TempDir(), "taken")
	if err := os.WriteFile(path, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := NewNetNS(path)
	if err == nil {
		RemoveNetNS(path)
		t.Fatal("NewNetNS on a taken path succeeded")
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name the path", err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "mine" {
		t.Errorf("file at the taken path: %q, %v; want it untouched", b, err)
	}
}

// threadNetNS is the network namespace of the calling thread.
func threadNetNS(t *testing.T) string {
	t.Helper()
	ns, err := os.Readlink("/proc/thread-self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	return ns
}
