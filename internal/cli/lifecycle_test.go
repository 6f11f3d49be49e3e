package cli_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

// TestContainerLifecycle walks one container through create, start, exec,
// inspect, kill, wait and restart, as Docker's verbs do.
func TestContainerLifecycle(t *testing.T) {
	e, name := runEnv(t)
	t.Cleanup(func() { e.run("rm", "-f", name) })
	id := strings.TrimSpace(e.must("create", "--name", name, "busybox:test", "sleep", "60"))
	if len(id) != 64 {
		t.Fatalf("create printed %q, want a 64-hex ID", id)
	}
	if ps := e.must("ps", "-a"); !strings.Contains(ps, name) || !strings.Contains(ps, "Created") {
		t.Errorf("ps -a after create: want %s Created, got:\n%s", name, ps)
	}
	if got := e.must("inspect", "--format", "{{.State.Status}}", name); got != "created\n" {
		t.Errorf("status after create: got %q, want created", got)
	}
	e.must("start", name)
	if got := e.must("inspect", "--format", "{{.State.Status}}", name); got != "running\n" {
		t.Errorf("status after start: got %q, want running", got)
	}
	if r := e.run("exec", name, "echo", "hi"); r.code != 0 || r.stdout != "hi\n" {
		t.Errorf("exec echo hi: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	if r := e.run("exec", "-e", "FOO=bar", "-w", "/tmp", "-u", "1000:1001", name, "sh", "-c", `echo $FOO $(pwd) $(id -u) $(id -g)`); r.code != 0 || r.stdout != "bar /tmp 1000 1001\n" {
		t.Errorf("exec -e -w -u: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	if r := e.run("exec", name, "sh", "-c", "exit 3"); r.code != 3 {
		t.Errorf("exec exit 3: got code %d (stderr %q)", r.code, r.stderr)
	}
	if r := e.run("exec", name, "nosuch"); r.code != 127 || !strings.Contains(r.stderr, "executable file not found") {
		t.Errorf("exec nosuch: got code %d stderr %q, want 127 and \"executable file not found\"", r.code, r.stderr)
	}
	var docs []struct {
		ID    string `json:"Id"`
		Name  string
		Image string
		State struct {
			Status   string
			Running  bool
			Pid      int
			ExitCode int
		}
		Config struct {
			Hostname string
			Cmd      []string
		}
	}
	if err := json.Unmarshal([]byte(e.must("inspect", name)), &docs); err != nil || len(docs) != 1 {
		t.Fatalf("inspect: %v, %d documents", err, len(docs))
	}
	d := docs[0]
	if d.ID != id || d.Name != "/"+name || !d.State.Running || d.State.Pid <= 0 || !strings.HasPrefix(d.Image, "sha256:") ||
		strings.Join(d.Config.Cmd, " ") != "sleep 60" || d.Config.Hostname != id[:12] {
		t.Errorf("inspect of the running container: %+v", d)
	}
	if r := e.run("image", "inspect", name); r.code != 1 {
		t.Errorf("image inspect of a container's name: code %d, want 1 (no such image)", r.code)
	}
	e.must("kill", "-s", "KILL", name)
	if got := e.must("wait", name); got != "137\n" {
		t.Errorf("wait after kill -s KILL: got %q, want 137", got)
	}
	if got := e.must("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}", name); got != "exited 137 false\n" {
		t.Errorf("inspect after kill: got %q", got)
	}
	if r := e.run("exec", name, "true"); r.code != 1 || !strings.Contains(r.stderr, "is not running") {
		t.Errorf("exec into an exited container: code %d stderr %q, want 1 and \"is not running\"", r.code, r.stderr)
	}
	if r := e.run("kill", name); r.code != 1 {
		t.Errorf("kill of an exited container: code %d, want 1", r.code)
	}
	e.must("restart", "-t", "1", name)
	if got := e.must("inspect", "--format", "{{.State.Status}} {{.State.Pid}}", name); !strings.HasPrefix(got, "running ") || strings.TrimSpace(got) == "running 0" {
		t.Errorf("inspect after restart: got %q, want running with a pid", got)
	}
	if r := e.run("exec", name, "echo", "back"); r.stdout != "back\n" {
		t.Errorf("exec after restart: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	e.must("restart", "-t", "0", name) // a running one is stopped first
	if got := e.must("inspect", "--format", "{{.State.Status}}", name); got != "running\n" {
		t.Errorf("status after restarting a running container: %q", got)
	}
	e.must("rm", "-f", name)
	if r := e.run("inspect", name); r.code != 1 {
		t.Errorf("inspect after rm: code %d, want 1", r.code)
	}
}

func TestStartAttach(t *testing.T) {
	e, name := runEnv(t)
	t.Cleanup(func() { e.run("rm", "-f", name) })
	e.must("create", "--name", name, "busybox:test", "echo", "hello")
	r := e.run("start", "-a", name)
	if r.code != 0 || r.stdout != "hello\n" {
		t.Errorf("start -a: code %d stdout %q stderr %q, want 0 and hello", r.code, r.stdout, r.stderr)
	}
	// An exited container starts again, with the same command.
	r = e.run("start", "-a", name)
	if r.code != 0 || r.stdout != "hello\n" {
		t.Errorf("second start -a: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	e.must("create", "--name", name+"-3", "busybox:test", "sh", "-c", "exit 3")
	t.Cleanup(func() { e.run("rm", "-f", name+"-3") })
	if r := e.run("start", "-a", name+"-3"); r.code != 3 {
		t.Errorf("start -a of exit 3: code %d (stderr %q)", r.code, r.stderr)
	}
	if got := e.must("wait", name+"-3"); got != strconv.Itoa(3)+"\n" {
		t.Errorf("wait of an exited container: %q", got)
	}
	// -i sends this command's stdin to a container created with -i (and
	// attaches its output): cat echoes it back and ends at EOF.
	e.must("create", "-i", "--name", name+"-i", "busybox:test", "sh", "-c", "cat; echo done")
	t.Cleanup(func() { e.run("rm", "-f", name+"-i") })
	if r := e.runIn("from stdin\n", "start", "-i", name+"-i"); r.code != 0 || r.stdout != "from stdin\ndone\n" {
		t.Errorf("start -i: code %d stdout %q stderr %q, want the input echoed", r.code, r.stdout, r.stderr)
	}
	e.must("rm", name, name+"-3", name+"-i")
}
