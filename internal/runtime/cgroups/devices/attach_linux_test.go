package devices

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/testgate"
)

// cgroup2Root returns a cgroup2 mount to test in: /sys/fs/cgroup on a v2
// host, /sys/fs/cgroup/unified on a hybrid one. Device programs need no
// controller, so the hybrid mount (which has none of ours) works too.
func cgroup2Root(t *testing.T) string {
	t.Helper()
	for _, root := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
		if _, err := os.Stat(filepath.Join(root, "cgroup.controllers")); err == nil {
			return root
		}
	}
	t.Skip("devices: needs a cgroup2 mount at /sys/fs/cgroup or /sys/fs/cgroup/unified")
	return ""
}

// testCgroup creates an empty cgroup2 dir of this test's own and removes
// it at the end.
func testCgroup(t *testing.T) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	dir := filepath.Join(cgroup2Root(t), "cais-test-"+hex.EncodeToString(b))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := syscall.Rmdir(dir); err != nil {
			t.Errorf("removing %s: %v", dir, err)
		}
	})
	return dir
}

// runIn runs script with busybox sh inside the cgroup dir: the shell waits
// on its stdin until it has been moved there. It returns the output and
// the exit error.
func runIn(t *testing.T, dir, script string) (string, error) {
	t.Helper()
	cmd := exec.Command("/bin/busybox", "sh", "-c", "read _ && "+script)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := false
	defer func() {
		if !waited {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(cmd.Process.Pid)), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := stdin.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	stdin.Close()
	err = cmd.Wait()
	waited = true
	return out.String(), err
}

func TestProgramLoads(t *testing.T) {
	testgate.Root(t)
	rules := []Rule{
		{Type: 'a', Major: Wildcard, Minor: Wildcard, Access: Read | Write | Mknod},
		{Allow: true, Type: 'c', Major: 1, Minor: 3, Access: Read | Write | Mknod},
		{Allow: true, Type: 'b', Major: 8, Minor: Wildcard, Access: Read},
		{Allow: false, Type: 'a', Major: 4, Minor: 1, Access: Write},
	}
	code, err := Program(rules)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := loadProgram(code)
	if err != nil {
		t.Fatalf("the kernel's verifier refused the program: %v", err)
	}
	unix.Close(prog)
}

func TestAttachFiltersDevices(t *testing.T) {
	testgate.Root(t)
	testgate.Binary(t, "/bin/busybox")
	denyAll := Rule{Type: 'a', Major: Wildcard, Minor: Wildcard, Access: Read | Write | Mknod}
	null := Rule{Allow: true, Type: 'c', Major: 1, Minor: 3, Access: Read | Write | Mknod}
	const (
		writeNull = "echo x > /dev/null"
		readNull  = "cat /dev/null"
		readZero  = "head -c 1 /dev/zero >/dev/null"
	)
	tests := []struct {
		name   string
		rules  []Rule
		script string
		allow  bool
	}{
		{"deny all denies /dev/null", []Rule{denyAll}, readNull, false},
		{"allowlisted /dev/null can be written", []Rule{denyAll, null}, writeNull, true},
		{"device not on the allowlist", []Rule{denyAll, null}, readZero, false},
		{"a later deny of w wins for writes", []Rule{denyAll, null, {Type: 'c', Major: 1, Minor: 3, Access: Write}}, writeNull, false},
		{"a later deny of w leaves reads", []Rule{denyAll, null, {Type: 'c', Major: 1, Minor: 3, Access: Write}}, readNull, true},
		{"a later wildcard allow wins", []Rule{denyAll, {Allow: true, Type: 'c', Major: Wildcard, Minor: Wildcard, Access: Read | Write}}, readZero, true},
		{"no rules allow", nil, readZero, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := testCgroup(t)
			if err := Attach(dir, tt.rules); err != nil {
				t.Fatal(err)
			}
			out, err := runIn(t, dir, tt.script)
			if (err == nil) != tt.allow {
				t.Errorf("%q: err = %v (output %q), want allowed = %v", tt.script, err, out, tt.allow)
			}
		})
	}
}

func TestAttachReplacesThePreviousProgram(t *testing.T) {
	testgate.Root(t)
	testgate.Binary(t, "/bin/busybox")
	dir := testCgroup(t)
	denyAll := []Rule{{Type: 'a', Major: Wildcard, Minor: Wildcard, Access: Read | Write | Mknod}}
	if err := Attach(dir, denyAll); err != nil {
		t.Fatal(err)
	}
	if _, err := runIn(t, dir, "cat /dev/null"); err == nil {
		t.Fatalf("first program: /dev/null readable, want denied")
	}
	if err := Attach(dir, nil); err != nil {
		t.Fatal(err)
	}
	ids, err := Attached(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1 {
		t.Errorf("after re-attach %d programs attached, want 1", len(ids))
	}
	if out, err := runIn(t, dir, "cat /dev/null"); err != nil {
		t.Errorf("second program: /dev/null denied (%v, %q), want the first program gone", err, out)
	}
}
