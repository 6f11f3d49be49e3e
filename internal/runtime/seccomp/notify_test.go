package seccomp

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/testgate"
)

// received is what an agent got on one listenerPath connection.
type received struct {
	State specs.ContainerProcessState
	Fds   []int
}

// listenAgent serves listenerPath like a seccomp agent. It returns the
// socket path and a function that accepts one connection and reads it to
// EOF. The listener is closed at cleanup, which also ends a pending accept.
func listenAgent(t *testing.T) (string, func() (received, error)) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "agent.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accept := func() (received, error) {
		conn, err := ln.AcceptUnix()
		if err != nil {
			return received{}, err
		}
		defer conn.Close()
		return readState(conn)
	}
	return path, accept
}

func readState(conn *net.UnixConn) (received, error) {
	var payload []byte
	var fds []int
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4*8))
	for {
		n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
		payload = append(payload, buf[:n]...)
		if oobn > 0 {
			got, perr := parseRights(oob[:oobn])
			if perr != nil {
				return received{}, perr
			}
			fds = append(fds, got...)
		}
		if errors.Is(err, io.EOF) || (err == nil && n == 0) {
			break
		}
		if err != nil {
			return received{}, err
		}
	}
	r := received{Fds: fds}
	if err := json.Unmarshal(payload, &r.State); err != nil {
		return r, fmt.Errorf("decoding %q: %w", payload, err)
	}
	return r, nil
}

func parseRights(oob []byte) ([]int, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, err
	}
	var fds []int
	for _, m := range msgs {
		got, err := unix.ParseUnixRights(&m)
		if err != nil {
			return nil, err
		}
		fds = append(fds, got...)
	}
	return fds, nil
}

// TestSendListener passes a pipe's write end and checks the agent gets the
// state as sent and an fd that writes into the same pipe.
func TestSendListener(t *testing.T) {
	path, accept := listenAgent(t)
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	r, w := os.NewFile(uintptr(p[0]), "pipe-r"), os.NewFile(uintptr(p[1]), "pipe-w")
	t.Cleanup(func() { r.Close(); w.Close() })

	state := specs.ContainerProcessState{
		Version: specs.Version, Fds: []string{ListenerFdName}, Pid: 4242, Metadata: "MKNOD=/dev/null",
		State: specs.State{Version: specs.Version, ID: "c1", Status: specs.StateCreating, Pid: 4242,
			Bundle: "/bundles/c1", Annotations: map[string]string{"k": "v"}},
	}
	got := make(chan received, 1)
	errs := make(chan error, 1)
	go func() {
		rcv, err := accept()
		errs <- err
		got <- rcv
	}()
	if err := SendListener(path, state, []int{int(w.Fd())}); err != nil {
		t.Fatalf("SendListener() error = %v", err)
	}
	if err := <-errs; err != nil {
		t.Fatalf("agent: %v", err)
	}
	rcv := <-got
	if diff := cmp.Diff(state, rcv.State); diff != "" {
		t.Errorf("state mismatch (-sent +received):\n%s", diff)
	}
	if len(rcv.Fds) != 1 {
		t.Fatalf("received %d fds, want 1", len(rcv.Fds))
	}
	passed := os.NewFile(uintptr(rcv.Fds[0]), "passed")
	defer passed.Close()
	if _, err := passed.Write([]byte("x")); err != nil {
		t.Fatalf("writing to the passed fd: %v", err)
	}
	b := make([]byte, 1)
	if _, err := r.Read(b); err != nil || b[0] != 'x' {
		t.Errorf("read %q, %v from the pipe; want the byte written through the passed fd", b, err)
	}
}

func TestSendListenerErrors(t *testing.T) {
	state := specs.ContainerProcessState{Version: specs.Version, Fds: []string{ListenerFdName}}
	tests := []struct {
		name  string
		path  string
		fds   []int
		class error
	}{
		{name: "empty path", path: "", fds: []int{0}, class: errdefs.ErrInvalidArgument},
		{name: "fds and names differ", path: "/nonexistent.sock", fds: []int{0, 1}, class: errdefs.ErrInvalidArgument},
		{name: "no agent", path: filepath.Join(t.TempDir(), "none.sock"), fds: []int{0}, class: errdefs.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := SendListener(tt.path, state, tt.fds)
			if !errors.Is(err, tt.class) {
				t.Errorf("SendListener() error = %v, want class %v", err, tt.class)
			}
		})
	}
}

// notification is what the agent saw of one notified syscall.
type notification struct {
	Syscall string
	FromPid bool // the notification came from the pid in the state
}

// TestNotify loads a filter that notifies mkdir in a child, which passes
// the listener with SendListener. The test, as agent, fails the first mkdir
// with EROFS and lets the kernel carry out the second; the child must see
// exactly that.
func TestNotify(t *testing.T) {
	testgate.Root(t)
	if level, _ := libseccomp.GetAPI(); level < 6 {
		t.Skipf("seccomp notify needs libseccomp API level 6, have %d", level)
	}
	path, accept := listenAgent(t)
	dir := t.TempDir()
	denied, continued := filepath.Join(dir, "denied"), filepath.Join(dir, "continued")
	profile := specs.LinuxSeccomp{
		DefaultAction:    specs.ActAllow,
		ListenerPath:     path,
		ListenerMetadata: "agent-metadata",
		Syscalls:         []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActNotify}},
	}

	type agentResult struct {
		state  specs.ContainerProcessState
		notifs []notification
		err    error
	}
	done := make(chan agentResult, 1)
	go func() {
		var res agentResult
		res.state, res.notifs, res.err = serveNotify(accept, []libseccomp.ScmpNotifResp{
			{Error: int32(unix.EROFS)},
			{Flags: libseccomp.NotifRespFlagContinue},
		})
		done <- res
	}()

	got, stderr := runInChild(t, childRequest{
		Profile:      profile,
		SendListener: true,
		Calls:        []call{mkdirCall(denied), mkdirCall(continued), getpidCall()},
	})
	want := outcome{Results: []string{"30 (read-only file system)", "ok", "ok"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("child outcome mismatch (-want +got):\n%s\nstderr:\n%s", diff, stderr)
	}
	res := <-done
	if res.err != nil {
		t.Fatalf("agent: %v", res.err)
	}
	if diff := cmp.Diff([]string{ListenerFdName}, res.state.Fds); diff != "" {
		t.Errorf("state.fds mismatch (-want +got):\n%s", diff)
	}
	if res.state.Metadata != profile.ListenerMetadata {
		t.Errorf("state.metadata = %q, want %q", res.state.Metadata, profile.ListenerMetadata)
	}
	wantNotifs := []notification{{Syscall: "mkdir", FromPid: true}, {Syscall: "mkdir", FromPid: true}}
	if diff := cmp.Diff(wantNotifs, res.notifs); diff != "" {
		t.Errorf("notifications mismatch (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(denied); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stat %s = %v, want not exist (the agent refused it)", denied, err)
	}
	if fi, err := os.Stat(continued); err != nil || !fi.IsDir() {
		t.Errorf("stat %s = %v, want a directory (the agent let the kernel continue)", continued, err)
	}
}

// serveNotify accepts the listener and answers one notification per
// response, in order.
func serveNotify(accept func() (received, error), responses []libseccomp.ScmpNotifResp) (specs.ContainerProcessState, []notification, error) {
	rcv, err := accept()
	if err != nil {
		return rcv.State, nil, err
	}
	if len(rcv.Fds) != 1 {
		return rcv.State, nil, fmt.Errorf("received %d fds, want 1", len(rcv.Fds))
	}
	fd := libseccomp.ScmpFd(rcv.Fds[0])
	defer unix.Close(rcv.Fds[0])
	var notifs []notification
	for _, resp := range responses {
		req, err := libseccomp.NotifReceive(fd)
		if err != nil {
			return rcv.State, notifs, fmt.Errorf("receiving notification: %w", err)
		}
		name, _ := req.Data.Syscall.GetNameByArch(req.Data.Arch)
		notifs = append(notifs, notification{Syscall: name, FromPid: tgid(int(req.Pid)) == rcv.State.Pid})
		resp.ID = req.ID
		if err := libseccomp.NotifRespond(fd, &resp); err != nil {
			return rcv.State, notifs, fmt.Errorf("responding: %w", err)
		}
	}
	return rcv.State, notifs, nil
}

// tgid returns the process that thread tid belongs to: the kernel reports
// the calling thread in a notification, and a Go program may call mkdir
// from any of its threads.
func tgid(tid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", tid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Tgid:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return -1
}
