package cli_test

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRmWithoutForce: as Docker's, rm removes a created (never started)
// or an exited container without -f; a running or paused one is refused
// with Docker's message, exit 1, and keeps running. Both runtimes.
func TestRmWithoutForce(t *testing.T) {
	for _, rt := range runtimes {
		t.Run(rt, func(t *testing.T) {
			e, name := runEnv(t)
			created, exited, running := name+"-c", name+"-x", name+"-r"
			t.Cleanup(func() { e.run("rm", "-f", created, exited, running) })
			e.must(append([]string{"create", "--runtime", rt, "--name", created, "busybox:test"}, sleeper(name)...)...)
			if out := e.must("rm", created); out != created+"\n" {
				t.Errorf("rm of a created container printed %q, want its name", out)
			}
			// The same when its monitor was killed: the runtime still holds
			// it created.
			id := strings.TrimSpace(e.must(append([]string{"create", "--runtime", rt, "--name", created, "busybox:test"}, sleeper(name)...)...))
			kill(t, monitorOf(t, e, id))
			if r := e.run("rm", created); r.code != 0 {
				t.Errorf("rm of a created container whose monitor was killed: code %d stderr %q", r.code, r.stderr)
			}
			e.must("run", "--runtime", rt, "--name", exited, "busybox:test", "true")
			if out := e.must("rm", exited); out != exited+"\n" {
				t.Errorf("rm of an exited container printed %q, want its name", out)
			}
			if out := e.must("ps", "-a", "--format", "{{.Names}}"); out != "" {
				t.Errorf("ps -a after rm of the created and exited containers: %q, want nothing", out)
			}

			e.must(append([]string{"run", "-d", "--runtime", rt, "--name", running, "busybox:test"}, sleeper(name)...)...)
			r := e.run("rm", running)
			want := `cannot remove container "/` + running + `": container is running: stop the container before removing or force remove`
			if r.code != 1 || !strings.Contains(r.stderr, want) {
				t.Errorf("rm of a running container: code %d stderr %q, want 1 and %q", r.code, r.stderr, want)
			}
			if got := e.must("inspect", "--format", "{{.State.Status}}", running); got != "running\n" {
				t.Errorf("after a refused rm the container is %q, want running", got)
			}
			kill(t, monitorOf(t, e, strings.TrimSpace(e.must("inspect", "--format", "{{.Id}}", running))))
			if r := e.run("rm", running); r.code != 1 || !strings.Contains(r.stderr, want) {
				t.Errorf("rm of a running container whose monitor was killed: code %d stderr %q, want 1 and %q", r.code, r.stderr, want)
			}
			e.must("rm", "-f", running)
			e.must(append([]string{"run", "-d", "--runtime", rt, "--name", running, "busybox:test"}, sleeper(name)...)...)
			e.must("pause", running)
			r = e.run("rm", running)
			want = `cannot remove container "/` + running + `": container is paused and must be unpaused first`
			if r.code != 1 || !strings.Contains(r.stderr, want) {
				t.Errorf("rm of a paused container: code %d stderr %q, want 1 and %q", r.code, r.stderr, want)
			}
			if got := e.must("inspect", "--format", "{{.State.Status}}", running); got != "paused\n" {
				t.Errorf("after a refused rm the container is %q, want paused", got)
			}
			e.must("rm", "-f", running)
			if out := e.must("ps", "-a", "-q"); out != "" {
				t.Errorf("ps -a after rm -f: %q, want nothing", out)
			}
		})
	}
}

// TestRestartUsesStopTimeout: restart without -t waits the container's
// --stop-timeout (not 10s) before SIGKILL, as stop does; -t still wins.
// The container's init (sleep) ignores SIGTERM, so only the kill ends it.
func TestRestartUsesStopTimeout(t *testing.T) {
	e, name := runEnv(t)
	t.Cleanup(func() { e.run("rm", "-f", name) })
	e.must("run", "-d", "--stop-timeout", "2", "--name", name, "busybox:test", "sleep", "300")
	before := e.must("inspect", "--format", "{{.State.StartedAt}}", name)
	start := time.Now()
	e.must("restart", name)
	if d := time.Since(start); d < 1500*time.Millisecond || d > 8*time.Second {
		t.Errorf("restart without -t took %v, want about the container's 2s stop timeout", d)
	}
	after := e.must("inspect", "--format", "{{.State.Status}} {{.State.StartedAt}}", name)
	if after == "running "+before || !strings.HasPrefix(after, "running ") {
		t.Errorf("after restart: %q (started before: %q), want running and started anew", after, before)
	}
	start = time.Now()
	e.must("restart", "-t", "0", name)
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("restart -t 0 took %v, want no wait", d)
	}
	if got := e.must("inspect", "--format", "{{.State.Status}}", name); got != "running\n" {
		t.Errorf("after restart -t 0: %q, want running", got)
	}
}

// TestExecPaused: exec into a paused container is refused with Docker's
// message and exit 1, and the command does not run. Both runtimes.
func TestExecPaused(t *testing.T) {
	for _, rt := range runtimes {
		t.Run(rt, func(t *testing.T) {
			e, name := runEnv(t)
			t.Cleanup(func() { e.run("rm", "-f", name) })
			e.must(append([]string{"run", "-d", "--runtime", rt, "--name", name, "busybox:test"}, sleeper(name)...)...)
			e.must("pause", name)
			r := e.run("exec", name, "touch", "/ran")
			want := "Container " + name + " is paused, unpause the container before exec"
			if r.code != 1 || !strings.Contains(r.stderr, want) {
				t.Errorf("exec into a paused container: code %d stderr %q, want 1 and %q", r.code, r.stderr, want)
			}
			e.must("unpause", name)
			if r := e.run("exec", name, "test", "-e", "/ran"); r.code != 1 {
				t.Errorf("the refused exec ran: test -e /ran exited %d (stderr %q)", r.code, r.stderr)
			}
		})
	}
}

// TestSystemDfVolumesContainers: system df counts containers (active =
// running) and volumes (active = mounted by a container, size = bytes of
// their data, reclaimable = the unused ones'), and -v lists both.
func TestSystemDfVolumesContainers(t *testing.T) {
	e, name := runEnv(t)
	used, free, created := name+"-used", name+"-free", name+"-c"
	t.Cleanup(func() { e.run("rm", "-f", name, created) })
	e.must("volume", "create", free)
	e.must("run", "--rm", "-v", free+":/d", "busybox:test", "sh", "-c", "head -c 3000 /dev/zero > /d/f")
	e.must(append([]string{"run", "-d", "--name", name, "-v", used + ":/d", "busybox:test"}, sleeper(name)...)...)
	e.must("exec", name, "sh", "-c", "head -c 1000 /dev/zero > /d/f; head -c 20000 /dev/zero > /big")
	e.must("create", "--name", created, "busybox:test", "true")

	rows := map[string]map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(e.must("system", "df", "--format", "json")), "\n") {
		var r map[string]string
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("system df --format json line %q: %v", l, err)
		}
		rows[r["Type"]] = r
	}
	v := rows["Local Volumes"]
	if v["TotalCount"] != "2" || v["Active"] != "1" || v["Size"] != "4kB" || v["Reclaimable"] != "3kB (75%)" {
		t.Errorf("Local Volumes row: %v, want 2 total, 1 active, 4kB, 3kB (75%%) reclaimable", v)
	}
	c := rows["Containers"]
	if c["TotalCount"] != "2" || c["Active"] != "1" || !strings.HasSuffix(c["Size"], "kB") {
		t.Errorf("Containers row: %v, want 2 total, 1 active, a size in kB (the 20kB written)", c)
	}
	if n, _ := strconv.ParseFloat(strings.TrimSuffix(c["Size"], "kB"), 64); n < 20 {
		t.Errorf("Containers size %q, want at least the 20kB written to the running one", c["Size"])
	}

	out := e.must("system", "df", "-v")
	for _, want := range []string{"Images space usage:", "Containers space usage:", "Local Volumes space usage:", "Build cache usage: 0B", "LOCAL VOLUMES", "VOLUME NAME"} {
		if !strings.Contains(out, want) {
			t.Errorf("system df -v lacks %q:\n%s", want, out)
		}
	}
	fields := map[string][]string{}
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			fields[f[0]] = f
			fields[f[len(f)-1]] = f
		}
	}
	if f := fields[used]; len(f) != 3 || f[1] != "1" || f[2] != "1kB" {
		t.Errorf("df -v line of volume %s: %q, want 1 link and 1kB", used, f)
	}
	if f := fields[free]; len(f) != 3 || f[1] != "0" || f[2] != "3kB" {
		t.Errorf("df -v line of volume %s: %q, want 0 links and 3kB", free, f)
	}
	if got := localVolumesColumn(fields[name]); got != "1" {
		t.Errorf("df -v line of container %s: %q, want LOCAL VOLUMES 1", name, fields[name])
	}
	if got := localVolumesColumn(fields[created]); got != "0" {
		t.Errorf("df -v line of container %s: %q, want LOCAL VOLUMES 0", created, fields[created])
	}
	if r := e.run("system", "df", "-v", "--format", "json"); r.code != 125 || !strings.Contains(r.stderr, "--format") {
		t.Errorf("df -v --format json: code %d stderr %q, want 125 naming --format", r.code, r.stderr)
	}
}

// localVolumesColumn is the LOCAL VOLUMES field of a df -v container
// line: the one after the quoted COMMAND.
func localVolumesColumn(f []string) string {
	for i := 2; i+1 < len(f); i++ {
		if strings.HasSuffix(f[i], `"`) {
			return f[i+1]
		}
	}
	return ""
}

// TestInspectTmpfsAndMounts: inspect shows HostConfig.Tmpfs (path →
// options, as typed) and HostConfig.Mounts (the --mount values in
// Docker's shape), and neither key when no such flag was given.
func TestInspectTmpfsAndMounts(t *testing.T) {
	e, name := runEnv(t)
	plain := name + "-plain"
	t.Cleanup(func() { e.run("rm", "-f", "-v", name, plain) })
	src := t.TempDir()
	e.must("create", "--name", name,
		"--tmpfs", "/run:rw,size=64m", "--tmpfs", "/scratch",
		"--mount", "type=volume,source="+name+"-v,target=/data,readonly",
		"--mount", "type=bind,source="+src+",target=/b,bind-propagation=rslave",
		"--mount", "type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=1770",
		"--mount", "type=volume,target=/anon,volume-nocopy,volume-label=a=b",
		"busybox:test", "true")
	if got, want := e.must("inspect", "--format", "{{json .HostConfig.Tmpfs}}", name), `{"/run":"rw,size=64m","/scratch":""}`+"\n"; got != want {
		t.Errorf("HostConfig.Tmpfs: got %s want %s", got, want)
	}
	want := `[{"Type":"volume","Source":"` + name + `-v","Target":"/data","ReadOnly":true},` +
		`{"Type":"bind","Source":"` + src + `","Target":"/b","BindOptions":{"Propagation":"rslave"}},` +
		`{"Type":"tmpfs","Target":"/t","TmpfsOptions":{"SizeBytes":1048576,"Mode":1016}},` +
		`{"Type":"volume","Target":"/anon","VolumeOptions":{"NoCopy":true,"Labels":{"a":"b"}}}]` + "\n"
	if got := e.must("inspect", "--format", "{{json .HostConfig.Mounts}}", name); !sameJSON(t, got, want) {
		t.Errorf("HostConfig.Mounts:\ngot  %s\nwant %s", got, want)
	}
	e.must("create", "--name", plain, "busybox:test", "true")
	if hc := e.must("inspect", "--format", "{{json .HostConfig}}", plain); strings.Contains(hc, `"Tmpfs"`) || strings.Contains(hc, `"Mounts"`) {
		t.Errorf("HostConfig of a container without --tmpfs or --mount has them: %s", hc)
	}
}

// sameJSON reports whether two JSON texts hold the same value (key order
// aside).
func sameJSON(t *testing.T, a, b string) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal([]byte(a), &va); err != nil {
		t.Fatalf("%q: %v", a, err)
	}
	if err := json.Unmarshal([]byte(b), &vb); err != nil {
		t.Fatalf("%q: %v", b, err)
	}
	return reflect.DeepEqual(va, vb)
}
