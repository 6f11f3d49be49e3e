package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	ggcrname "github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

type healthDoc struct {
	Status        string
	FailingStreak int
	Log           []struct {
		Start, End time.Time
		ExitCode   int
		Output     string
	}
}

// health reads State.Health from inspect; nil when there is none.
func health(t *testing.T, e *env, name string) *healthDoc {
	t.Helper()
	var doc []struct{ State struct{ Health *healthDoc } }
	if err := json.Unmarshal([]byte(e.must("inspect", name)), &doc); err != nil || len(doc) != 1 {
		t.Fatalf("inspect %s: %v", name, err)
	}
	return doc[0].State.Health
}

// psStatus is ps's STATUS of the container name.
func psStatus(e *env, name string) string {
	for _, l := range lines(e.must("ps", "--format", "{{.Names}}\t{{.Status}}")) {
		if n, st, _ := strings.Cut(l, "\t"); n == name {
			return st
		}
	}
	return ""
}

// TestHealthCheck: the monitor runs --health-cmd at the interval; inspect
// shows Docker's State.Health and ps "(unhealthy)", then "(healthy)"
// once the check passes; the log keeps the last five results.
func TestHealthCheck(t *testing.T) {
	e, name := runEnv(t)
	t.Cleanup(func() { e.run("rm", "-f", name) })
	e.must("run", "-d", "--name", name, "--health-cmd", "echo checking; test -f /tmp/ok",
		"--health-interval", "200ms", "--health-retries", "2", "--health-timeout", "5s", "busybox:test", "sleep", "1000")
	if h := health(t, e, name); h == nil || (h.Status != "starting" && h.Status != "unhealthy") {
		t.Fatalf("health right after start: %+v, want starting", h)
	}
	untilTrue(t, "the container is unhealthy", func() bool { return health(t, e, name).Status == "unhealthy" })
	h := health(t, e, name)
	if h.FailingStreak < 2 || len(h.Log) == 0 || h.Log[0].ExitCode != 1 || h.Log[0].Output != "checking\n" {
		t.Errorf("unhealthy: %+v, want a streak of at least 2 and results of exit 1 printing checking", h)
	}
	if st := psStatus(e, name); !strings.HasPrefix(st, "Up ") || !strings.HasSuffix(st, "(unhealthy)") {
		t.Errorf("ps status: %q, want Up ... (unhealthy)", st)
	}
	e.must("exec", name, "touch", "/tmp/ok")
	untilTrue(t, "the container is healthy", func() bool { return health(t, e, name).Status == "healthy" })
	if st := psStatus(e, name); !strings.HasSuffix(st, "(healthy)") {
		t.Errorf("ps status: %q, want Up ... (healthy)", st)
	}
	untilTrue(t, "more than five checks ran", func() bool {
		h := health(t, e, name)
		return len(h.Log) == 5 && h.Log[0].ExitCode == 0 && h.FailingStreak == 0
	})
	h = health(t, e, name)
	if len(h.Log) != 5 || !h.Log[0].End.After(h.Log[0].Start) || !h.Log[4].Start.After(h.Log[0].Start) {
		t.Errorf("health log: %+v, want the last five results in order", h.Log)
	}
	var cfg []struct {
		Config struct{ Healthcheck struct{ Test []string } }
	}
	json.Unmarshal([]byte(e.must("inspect", name)), &cfg)
	if got := cfg[0].Config.Healthcheck.Test; len(got) != 2 || got[0] != "CMD-SHELL" {
		t.Errorf("inspect Config.Healthcheck.Test: %q", got)
	}
}

// monitorZombies counts zombie children of the container's monitor.
func monitorZombies(t *testing.T, e *env, id string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(e.runRoot, "m", id[:16], "monitor.pid"))
	if err != nil {
		t.Fatal(err)
	}
	mpid := strings.Fields(string(b))[0]
	n := 0
	ds, _ := os.ReadDir("/proc")
	for _, d := range ds {
		if _, err := strconv.Atoi(d.Name()); err != nil {
			continue
		}
		st, err := os.ReadFile(filepath.Join("/proc", d.Name(), "stat"))
		if err != nil {
			continue
		}
		f := strings.Fields(string(st[strings.LastIndexByte(string(st), ')')+1:]))
		if len(f) > 1 && f[1] == mpid && f[0] == "Z" {
			n++
		}
	}
	return n
}

// TestHealthTimeoutAndStartPeriod: a check past its timeout is killed,
// counted as a failure with Docker's message and leaves no process or
// zombie; failures in the start period do not count.
func TestHealthTimeoutAndStartPeriod(t *testing.T) {
	e, name := runEnv(t)
	t.Cleanup(func() { e.run("rm", "-f", name, name+"-sp") })
	id := strings.TrimSpace(e.must("run", "-d", "--name", name, "--health-cmd", "sleep 77", "--health-timeout", "300ms",
		"--health-interval", "400ms", "--health-retries", "2", "busybox:test", "sleep", "1000"))
	untilTrue(t, "the container is unhealthy", func() bool { return health(t, e, name).Status == "unhealthy" })
	h := health(t, e, name)
	if r := h.Log[len(h.Log)-1]; r.ExitCode != -1 || !strings.Contains(r.Output, "exceeded timeout") {
		t.Errorf("timed-out check: %+v, want exit -1 and the timeout message", r)
	}
	time.Sleep(time.Second) // a few more checks
	if out := e.must("exec", name, "ps", "-o", "args"); strings.Count(out, "sleep 77") > 1 {
		t.Errorf("timed-out checks still run in the container:\n%s", out)
	}
	if z := monitorZombies(t, e, id); z != 0 {
		t.Errorf("the monitor has %d zombie children", z)
	}

	e.must("run", "-d", "--name", name+"-sp", "--health-cmd", "false", "--health-interval", "100ms",
		"--health-retries", "1", "--health-start-period", "1h", "busybox:test", "sleep", "1000")
	untilTrue(t, "three checks ran", func() bool { return len(health(t, e, name+"-sp").Log) >= 3 })
	if h := health(t, e, name+"-sp"); h.Status != "starting" || h.FailingStreak != 0 {
		t.Errorf("failures in the start period: %+v, want starting with no streak", h)
	}
}

// TestHealthImageAndBadFlags: the image's HEALTHCHECK runs unless
// --no-healthcheck; a container without one has no Health; bad flags
// are refused with 125 and leave nothing.
func TestHealthImageAndBadFlags(t *testing.T) {
	e, name := runEnv(t)
	t.Cleanup(func() { e.run("rm", "-f", name, name+"-off", name+"-none") })
	saved := filepath.Join(t.TempDir(), "busybox.tar")
	e.must("save", "-o", saved, "busybox:test")
	img, err := tarball.ImageFromPath(saved, nil)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.Config.Healthcheck = &v1.HealthConfig{Test: []string{"CMD", "true"}, Interval: 100 * time.Millisecond}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	tag, _ := ggcrname.NewTag("cais.test/healthy:v1")
	withCheck := filepath.Join(t.TempDir(), "healthy.tar")
	if err := tarball.WriteToFile(withCheck, tag, img); err != nil {
		t.Fatal(err)
	}
	e.must("load", "-i", withCheck)

	e.must("run", "-d", "--name", name, "cais.test/healthy:v1", "sleep", "1000")
	untilTrue(t, "the image's check made it healthy", func() bool { h := health(t, e, name); return h != nil && h.Status == "healthy" })
	e.must("run", "-d", "--name", name+"-off", "--no-healthcheck", "cais.test/healthy:v1", "sleep", "1000")
	e.must("run", "-d", "--name", name+"-none", "busybox:test", "sleep", "1000")
	time.Sleep(500 * time.Millisecond)
	for _, n := range []string{name + "-off", name + "-none"} {
		if h := health(t, e, n); h != nil {
			t.Errorf("%s: Health %+v, want none", n, h)
		}
		if st := psStatus(e, n); strings.Contains(st, "(") {
			t.Errorf("%s: ps status %q, want no health", n, st)
		}
	}

	for _, bad := range [][]string{
		{"--health-interval", "-1s"},
		{"--health-retries", "-2"},
		{"--health-timeout", "soon"},
		{"--no-healthcheck", "--health-cmd", "true"},
	} {
		args := append(append([]string{"run", "-d", "--name", name + "-bad"}, bad...), "busybox:test", "true")
		if r := e.run(args...); r.code != 125 || !strings.Contains(r.stderr, "health") {
			t.Errorf("run %v: code %d stderr %q, want 125 naming the health flag", bad, r.code, r.stderr)
		}
	}
	if r := e.run("inspect", name+"-bad"); r.code == 0 {
		t.Errorf("a refused run left a container")
	}
}
