package cli_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/docker/go-units"

	"github.com/cais-project/cais/internal/fixture"
)

// TestPsFlags: -n, -l, --no-trunc, -s, every filter and the template
// fields, over two exited containers and a running one of another image;
// info counts them by state.
func TestPsFlags(t *testing.T) {
	e, name := runEnv(t)
	n1, n2, n3 := name+"-1", name+"-2", name+"-3"
	t.Cleanup(func() { e.run("rm", "-f", n1, n2, n3) })
	e.must("import", "-c", `LABEL org.example.role=web`, fixture.BusyboxRootfs(t), "busybox:labeled")
	e.must("run", "--name", n1, "busybox:test", "true")
	if r := e.run("run", "--name", n2, "busybox:test", "sh", "-c", "exit 3"); r.code != 3 {
		t.Fatalf("run exit 3: code %d %s", r.code, r.stderr)
	}
	e.must(append([]string{"run", "-d", "--name", n3, "busybox:labeled"}, sleeper(name)...)...)
	ids := lines(e.must("ps", "-a", "-q", "--no-trunc"))
	if len(ids) != 3 || len(ids[0]) != 64 {
		t.Fatalf("ps -a -q --no-trunc: %q, want 3 full IDs", ids)
	}
	id1 := ids[2]
	names := func(args ...string) string {
		t.Helper()
		return strings.Join(lines(e.must(append(append([]string{"ps"}, args...), "--format", "{{.Names}}")...)), " ")
	}
	cases := []struct {
		args []string
		want string
	}{
		{nil, n3},
		{[]string{"-a"}, n3 + " " + n2 + " " + n1},
		{[]string{"-n", "2"}, n3 + " " + n2},
		{[]string{"-l"}, n3},
		{[]string{"-a", "--filter", "name=" + n2}, n2},
		{[]string{"-a", "--filter", "name=^/" + name + "-[13]$"}, n3 + " " + n1},
		{[]string{"-a", "--filter", "id=" + id1[:10]}, n1},
		{[]string{"--filter", "status=exited"}, n2 + " " + n1},
		{[]string{"--filter", "status=running"}, n3},
		{[]string{"-a", "--filter", "exited=3"}, n2},
		{[]string{"-a", "--filter", "exited=0"}, n1},
		{[]string{"-a", "--filter", "ancestor=busybox:labeled"}, n3},
		{[]string{"-a", "--filter", "ancestor=busybox:test"}, n2 + " " + n1},
		{[]string{"-a", "--filter", "label=org.example.role=web"}, n3},
		{[]string{"-a", "--filter", "label=org.example.role"}, n3},
		{[]string{"-a", "--filter", "label=org.example.role=db"}, ""},
		{[]string{"-a", "--filter", "before=" + n3}, n2 + " " + n1},
		{[]string{"-a", "--filter", "since=" + n1}, n3 + " " + n2},
		{[]string{"-a", "--filter", "status=exited", "--filter", "name=" + n1}, n1},
		{[]string{"-a", "--filter", "status=exited", "--filter", "status=running"}, n3 + " " + n2 + " " + n1},
	}
	for _, c := range cases {
		if got := names(c.args...); got != c.want {
			t.Errorf("ps %v: got %q, want %q", c.args, got, c.want)
		}
	}
	if got := e.must("ps", "-q"); got != ids[0][:12]+"\n" {
		t.Errorf("ps -q: %q", got)
	}
	// -s: the writable layer holds what the container wrote.
	e.must("exec", n3, "dd", "if=/dev/zero", "of=/big", "bs=1024", "count=300")
	out := e.must("ps", "-s")
	ls := lines(out)
	if !strings.HasSuffix(strings.TrimSpace(ls[0]), "SIZE") || len(ls) != 2 {
		t.Fatalf("ps -s:\n%s", out)
	}
	size := ls[1][strings.LastIndex(ls[1], "   ")+3:]
	rw, _, ok := strings.Cut(size, " (virtual ")
	if n, err := units.FromHumanSize(rw); !ok || err != nil || n < 300*1000 {
		t.Errorf("ps -s SIZE %q: want the 300KiB written and a virtual size", size)
	}
	var doc map[string]string
	if err := json.Unmarshal([]byte(e.must("ps", "--format", "json")), &doc); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"ID": ids[0][:12], "Names": n3, "State": "running", "Image": "busybox:labeled",
		"Labels": "org.example.role=web", "Command": `"sh -c sleep 300; : …"`} {
		if doc[k] != want {
			t.Errorf("ps --format json %s = %q, want %q", k, doc[k], want)
		}
	}
	if got := lines(e.must("ps", "-a", "--format", `table {{.Names}}\t{{.State}}`)); strings.Join(strings.Fields(got[0]), " ") != "NAMES STATE" || len(got) != 4 {
		t.Errorf("ps table template: %q", got)
	}
	bad := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--filter", "nosuch=1"}, 1, "invalid filter 'nosuch'"},
		{[]string{"--filter", "status=bogus"}, 1, "invalid filter 'status=bogus'"},
		{[]string{"--filter", "exited=x"}, 1, "invalid filter 'exited=x'"},
		{[]string{"--filter", "before=nosuch-" + name}, 1, "no such container"},
		{[]string{"--filter", "noequals"}, 125, "bad format of filter"},
		{[]string{"-n", "x"}, 125, "invalid argument"},
	}
	for _, b := range bad {
		if r := e.run(append([]string{"ps"}, b.args...)...); r.code != b.code || !strings.Contains(r.stderr, b.want) {
			t.Errorf("ps %v: code %d stderr %q, want %d and %q", b.args, r.code, r.stderr, b.code, b.want)
		}
	}
	// info counts them, Docker's way.
	e.must("pause", n3)
	info := e.must("info")
	for _, want := range []string{"Containers: 3", "Running: 0", "Paused: 1", "Stopped: 2", "Images: 2"} {
		if !hasLine(info, want) {
			t.Errorf("info: no line %q in:\n%s", want, info)
		}
	}
	if got := e.must("info", "--format", "{{.Containers}} {{.ContainersRunning}} {{.ContainersPaused}} {{.ContainersStopped}}"); got != "3 0 1 2\n" {
		t.Errorf("info --format counts: %q", got)
	}
	e.must("unpause", n3)
	if got := e.must("info", "--format", "{{.ContainersRunning}} {{.ContainersPaused}}"); got != "1 0\n" {
		t.Errorf("info after unpause: %q", got)
	}
}

// TestVersionShape: version prints Docker's Client and Server sections,
// and its document through --format.
func TestVersionShape(t *testing.T) {
	e, _ := runEnv(t)
	out := e.must("version")
	for _, want := range []string{"Client:", "Server: cais (daemonless)", "Engine:", "cais-runtime:"} {
		if !hasLine(out, want) {
			t.Errorf("version: no line %q in:\n%s", want, out)
		}
	}
	if !strings.Contains(out, " Version:") || !strings.Contains(out, " OS/Arch:") {
		t.Errorf("version: no Version or OS/Arch:\n%s", out)
	}
	var v struct {
		Client struct{ Version, Os, Arch string }
		Server struct {
			Version    string
			Components []struct{ Name, Version string }
		}
	}
	if err := json.Unmarshal([]byte(e.must("version", "--format", "json")), &v); err != nil {
		t.Fatal(err)
	}
	if v.Client.Version == "" || v.Client.Version != v.Server.Version || v.Client.Os != "linux" || len(v.Server.Components) != 2 ||
		v.Server.Components[1].Name != "cais-runtime" || v.Server.Components[1].Version == "" {
		t.Errorf("version --format json: %+v", v)
	}
	if got := e.must("version", "--format", "{{.Client.Version}}"); got != v.Client.Version+"\n" {
		t.Errorf("version --format {{.Client.Version}}: %q", got)
	}
}
