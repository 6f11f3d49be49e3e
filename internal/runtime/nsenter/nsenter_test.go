package nsenter

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/testgate"
)

// TestMain doubles as the child: started through the constructor, it prints
// its pid and namespace identities on the sync socket's peer (stdout).
func TestMain(m *testing.M) {
	if sync, ok := InChild(); ok {
		sync.Close()
		var out strings.Builder
		fmt.Fprintf(&out, "pid=%d\n", os.Getpid())
		for _, ns := range []string{"uts", "pid", "mnt", "net", "ipc"} {
			l, _ := os.Readlink("/proc/self/ns/" + ns)
			fmt.Fprintf(&out, "%s=%s\n", ns, l)
		}
		os.Stdout.WriteString(out.String())
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func nsOf(t *testing.T, pid, ns string) string {
	t.Helper()
	l, err := os.Readlink("/proc/" + pid + "/ns/" + ns)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// start runs this test binary as a child through the constructor.
func start(t *testing.T, req *Request) (hello, final int, out *bytes.Buffer, waitErr error) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	parent, child := os.NewFile(uintptr(fds[0]), "parent"), os.NewFile(uintptr(fds[1]), "child")
	defer parent.Close()
	out = &bytes.Buffer{}
	cmd := exec.Command("/proc/self/exe", "-test.run=^$")
	cmd.Env = append(os.Environ(), EnvName+"=3")
	cmd.ExtraFiles = []*os.File{child}
	cmd.Stdout = out
	cmd.Stderr = os.Stderr
	h := NewHandshake(parent)
	if err := h.Send(req); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	child.Close()
	hello, err = h.Hello()
	if err == nil {
		if err = h.Ack(); err == nil {
			final, err = h.Pid()
		}
	}
	werr := cmd.Wait()
	if err != nil {
		return 0, 0, out, err
	}
	if final != hello {
		// The final process is our grandchild, reparented to this test
		// process, which the caller made a subreaper.
		var ws unix.WaitStatus
		if _, err := unix.Wait4(final, &ws, 0, nil); err != nil {
			t.Fatalf("wait for pid %d: %v", final, err)
		}
	}
	return hello, final, out, werr
}

func TestCreateNamespaces(t *testing.T) {
	testgate.Root(t)
	// Make this test process a subreaper so the grandchild's exit is ours.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	_, final, out, err := start(t, &Request{CloneFlags: unix.CLONE_NEWUTS | unix.CLONE_NEWPID | unix.CLONE_NEWNS | unix.CLONE_NEWIPC})
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	if final == 1 {
		t.Fatal("the parent must see the child's host pid, not 1")
	}
	got := out.String()
	if !strings.Contains(got, "pid=1\n") {
		t.Errorf("child should be pid 1 of a new pid namespace, got:\n%s", got)
	}
	for _, ns := range []string{"uts", "mnt", "ipc"} {
		if strings.Contains(got, ns+"="+nsOf(t, "self", ns)) {
			t.Errorf("child shares the %s namespace of the test:\n%s", ns, got)
		}
	}
	if !strings.Contains(got, "net="+nsOf(t, "self", "net")) {
		t.Errorf("child should have kept the test's network namespace:\n%s", got)
	}
}

func TestJoinNamespace(t *testing.T) {
	testgate.Root(t)
	// A process in a new uts+mount namespace to join.
	holder := exec.Command("/bin/busybox", "sleep", "30")
	holder.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUTS | syscall.CLONE_NEWNS}
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { holder.Process.Kill(); holder.Wait() }()
	hp := fmt.Sprint(holder.Process.Pid)
	_, _, out, err := start(t, &Request{Join: []Join{
		{Type: unix.CLONE_NEWUTS, Path: "/proc/" + hp + "/ns/uts"},
		{Type: unix.CLONE_NEWNS, Path: "/proc/" + hp + "/ns/mnt"},
	}})
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	for _, ns := range []string{"uts", "mnt"} {
		if !strings.Contains(out.String(), ns+"="+nsOf(t, hp, ns)) {
			t.Errorf("child is not in the holder's %s namespace (%s):\n%s", ns, nsOf(t, hp, ns), out)
		}
	}
}

func TestJoinMissingNamespaceNamesIt(t *testing.T) {
	testgate.Root(t)
	_, _, _, err := start(t, &Request{Join: []Join{{Type: unix.CLONE_NEWNET, Path: "/run/netns/cais-does-not-exist"}}})
	if err == nil || !strings.Contains(err.Error(), "network namespace /run/netns/cais-does-not-exist") {
		t.Fatalf("want an error naming the namespace path, got %v", err)
	}
}

func TestEncodeRefusesBadRequests(t *testing.T) {
	tests := map[string]Request{
		"too many joins": {Join: make([]Join, maxJoin+1)},
		"empty path":     {Join: []Join{{Type: unix.CLONE_NEWNET}}},
		"long path":      {Join: []Join{{Type: unix.CLONE_NEWNET, Path: strings.Repeat("a", maxPath+1)}}},
	}
	for name, r := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := r.Encode(); err == nil {
				t.Error("Encode accepted it")
			}
		})
	}
}

func FuzzReadMessage(f *testing.F) {
	msg := func(typ, n uint32, payload []byte) []byte {
		b := make([]byte, 8)
		binary.LittleEndian.PutUint32(b, typ)
		binary.LittleEndian.PutUint32(b[4:], n)
		return append(b, payload...)
	}
	f.Add(msg(msgPid, 4, []byte{1, 0, 0, 0}))
	f.Add(msg(msgError, 3, []byte("bad")))
	f.Add(msg(msgError, 1<<31, nil))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		typ, payload, err := ReadMessage(bytes.NewReader(b))
		if err != nil {
			return
		}
		if len(payload) > MaxMessage || len(b) < 8+len(payload) {
			t.Fatalf("accepted type %d with %d payload bytes from %d input bytes", typ, len(payload), len(b))
		}
		h := NewHandshake(struct {
			io.Reader
			io.Writer
		}{bytes.NewReader(b), io.Discard})
		if pid, err := h.Pid(); err == nil && pid <= 0 {
			t.Fatalf("accepted pid %d", pid)
		}
	})
}
