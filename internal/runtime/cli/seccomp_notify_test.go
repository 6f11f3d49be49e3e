package cli_test

import (
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// TestSeccompNotifyListenerPath runs a container whose filter sends mkdir
// to a seccomp agent at linux.seccomp.listenerPath. The test is the agent:
// it receives the container process state and the listener fd, and answers
// the first mkdir with EROFS. The container sees exactly that.
func TestSeccompNotifyListenerPath(t *testing.T) {
	r := newRT(t)
	sock := filepath.Join(t.TempDir(), "agent.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	type agentResult struct {
		state specs.ContainerProcessState
		err   error
	}
	done := make(chan agentResult, 1)
	go func() {
		var res agentResult
		defer func() { done <- res }()
		conn, err := l.AcceptUnix()
		if err != nil {
			res.err = err
			return
		}
		defer conn.Close()
		buf, oob := make([]byte, 64<<10), make([]byte, unix.CmsgSpace(4))
		n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
		if err != nil {
			res.err = err
			return
		}
		if res.err = json.Unmarshal(buf[:n], &res.state); res.err != nil {
			return
		}
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil || len(msgs) != 1 {
			res.err = err
			return
		}
		fds, err := unix.ParseUnixRights(&msgs[0])
		if err != nil || len(fds) != 1 {
			res.err = err
			return
		}
		fd := libseccomp.ScmpFd(fds[0])
		defer unix.Close(fds[0])
		req, err := libseccomp.NotifReceive(fd)
		if err != nil {
			res.err = err
			return
		}
		res.err = libseccomp.NotifRespond(fd, &libseccomp.ScmpNotifResp{ID: req.ID, Error: int32(unix.EROFS)})
	}()

	b := r.bundle(`mkdir /tmp/x 2>&1; echo rc=$?`, func(s *specs.Spec) {
		s.Linux.Seccomp = &specs.LinuxSeccomp{
			DefaultAction:    specs.ActAllow,
			ListenerPath:     sock,
			ListenerMetadata: "cais-test",
			Syscalls:         []specs.LinuxSyscall{{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActNotify}},
		}
	})
	out := r.must("run", "--bundle", b, r.name)
	res := <-done
	if res.err != nil {
		t.Fatalf("agent: %v", res.err)
	}
	if !strings.Contains(out, "Read-only file system") || !strings.Contains(out, "rc=1") {
		t.Errorf("the container did not get the agent's answer:\n%s", out)
	}
	st := res.state
	if st.Metadata != "cais-test" || len(st.Fds) != 1 || st.Fds[0] != specs.SeccompFdName || st.State.ID != r.name || st.Pid <= 0 {
		t.Errorf("container process state sent to the agent: %+v", st)
	}
}
