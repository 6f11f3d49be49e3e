package cli_test

import (
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/runtime/console"
)

// TestLogJSONCarriesTheError: containerd reads a failed command's reason
// from --log in runc's JSON shape.
func TestLogJSONCarriesTheError(t *testing.T) {
	r := newRT(t)
	log := filepath.Join(t.TempDir(), "log.json")
	b := r.bundle("true", func(s *specs.Spec) { s.Process.Args = []string{"no-such-program"} })
	res := r.run("--log", log, "--log-format", "json", "create", "--bundle", b, r.name)
	if res.code == 0 {
		t.Fatal("create of a missing program succeeded")
	}
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	var entry struct{ Level, Msg, Time string }
	if err := json.Unmarshal([]byte(strings.TrimSpace(string(data))), &entry); err != nil {
		t.Fatalf("log is not one JSON object per line: %v\n%s", err, data)
	}
	if entry.Level != "error" || !strings.Contains(entry.Msg, "executable file not found") {
		t.Fatalf("log entry %+v", entry)
	}
	if _, err := time.Parse(time.RFC3339Nano, entry.Time); err != nil {
		t.Fatalf("log time %q: %v", entry.Time, err)
	}
}

// TestConsoleSocket: create with --console-socket hands the pty master to
// the socket's owner, who then talks to the container's terminal.
func TestConsoleSocket(t *testing.T) {
	r := newRT(t)
	sock := filepath.Join(t.TempDir(), "console.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := make(chan *os.File, 1)
	go func() {
		m, err := console.ReceiveMaster(l)
		if err != nil {
			t.Error(err)
		}
		got <- m
	}()
	b := r.bundle(`read line; echo "tty=$(tty) got=$line"`, func(s *specs.Spec) {
		s.Process.Terminal = true
		s.Process.ConsoleSize = &specs.Box{Height: 30, Width: 100}
	})
	r.must("create", "--console-socket", sock, "--bundle", b, r.name)
	master := <-got
	if master == nil {
		t.FailNow()
	}
	defer master.Close()
	if ws, err := console.Size(master); err != nil || ws.Height != 30 || ws.Width != 100 {
		t.Errorf("console size %+v (%v), want 30x100", ws, err)
	}
	r.must("start", r.name)
	io.WriteString(master, "hello\n")
	out := readUntil(t, master, "got=hello")
	if !strings.Contains(out, "tty=/dev/console") && !strings.Contains(out, "tty=/dev/pts/0") {
		t.Errorf("the process has no terminal:\n%s", out)
	}
	waitFor(t, func() bool { return state(t, r).Status == specs.StateStopped })
	r.must("delete", r.name)
}

func readUntil(t *testing.T, f *os.File, want string) string {
	t.Helper()
	f.SetReadDeadline(time.Now().Add(10 * time.Second))
	var b strings.Builder
	buf := make([]byte, 256)
	for !strings.Contains(b.String(), want) {
		n, err := f.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			t.Fatalf("reading the terminal: %v (so far %q)", err, b.String())
		}
	}
	return b.String()
}

// TestNoPivotAndNoNewKeyring runs with both flags and checks the container
// still has its own root and no session keyring named after it.
func TestNoPivotAndNoNewKeyring(t *testing.T) {
	r := newRT(t)
	b := r.bundle(`ls /; cat /proc/self/mountinfo | head -1; cat /proc/keys 2>/dev/null | grep -c _ses.`+r.name+` || true`,
		func(s *specs.Spec) { s.Linux.MaskedPaths = nil })
	out := r.must("run", "--no-pivot", "--no-new-keyring", "--bundle", b, r.name)
	if !strings.Contains(out, "bin\n") || strings.Contains(out, "work\n") {
		t.Errorf("--no-pivot container does not see its own root:\n%s", out)
	}
	if !strings.HasSuffix(strings.TrimSpace(out), "0") {
		t.Errorf("--no-new-keyring still joined a keyring named after the container:\n%s", out)
	}
}

// TestSpecWritesARunnableConfig: `spec` writes runc's default shape, which
// runs once terminal is turned off; a second spec refuses to overwrite.
func TestSpecWritesARunnableConfig(t *testing.T) {
	r := newRT(t)
	b := r.bundle("true")
	os.Remove(filepath.Join(b, "config.json"))
	r.must("spec", "--bundle", b)
	var s specs.Spec
	data, _ := os.ReadFile(filepath.Join(b, "config.json"))
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	if s.Version != specs.Version || !s.Process.Terminal || len(s.Linux.Namespaces) == 0 || s.Root.Path != "rootfs" {
		t.Fatalf("spec wrote %+v", s)
	}
	if res := r.run("spec", "--bundle", b); res.code == 0 || !strings.Contains(res.stderr, "exists") {
		t.Fatalf("second spec: exit %d %q", res.code, res.stderr)
	}
	s.Process.Terminal = false
	s.Process.Args = []string{"sh", "-c", "echo spec-ok"}
	s.Linux.CgroupsPath = "/cais-test/" + r.name
	data, _ = json.Marshal(s)
	os.WriteFile(filepath.Join(b, "config.json"), data, 0o644)
	if out := r.must("run", "--bundle", b, r.name); out != "spec-ok\n" {
		t.Fatalf("run of the spec'd bundle: %q", out)
	}
	// --rootless adds a user namespace mapping the caller.
	rb := t.TempDir()
	if out, err := exec.Command(r.bin, "spec", "--rootless", "--bundle", rb).CombinedOutput(); err != nil {
		t.Fatalf("spec --rootless: %v %s", err, out)
	}
	data, _ = os.ReadFile(filepath.Join(rb, "config.json"))
	var rs specs.Spec
	json.Unmarshal(data, &rs)
	if len(rs.Linux.UIDMappings) != 1 || rs.Linux.UIDMappings[0].HostID != uint32(os.Getuid()) {
		t.Fatalf("spec --rootless mappings %+v", rs.Linux.UIDMappings)
	}
}
