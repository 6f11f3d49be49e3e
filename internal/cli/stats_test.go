package cli_test

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// statsLine is stats' --format json object, in Docker's keys.
type statsLine struct {
	BlockIO, CPUPerc, Container, ID, MemPerc, MemUsage, Name, NetIO, PIDs string
}

// TestStatsNoStream: stats reports the container's memory limit and as
// many pids as its cgroup holds, in Docker's shapes, with either runtime.
func TestStatsNoStream(t *testing.T) {
	for _, rt := range runtimes {
		t.Run(rt, func(t *testing.T) {
			e, name := runEnv(t)
			t.Cleanup(func() { e.run("rm", "-f", name, name+"-c") })
			id := strings.TrimSpace(e.must("run", "-d", "--runtime", rt, "--name", name, "-m", "64m", "--network", "none", "busybox:test",
				"sh", "-c", "sleep 300 & sleep 300; : "+name))
			e.must("create", "--name", name+"-c", "busybox:test", "true")
			pid := initPid(t, e, name)
			procs := cgroupFile(t, pid, "pids", "cgroup.procs", "cgroup.procs")
			var want int
			for range 100 { // the shell forks its two sleeps when it gets there
				if want = len(lines(readTrim(t, procs))); want == 3 {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			if want != 3 {
				t.Fatalf("the container's cgroup holds %d processes, want sh and two sleeps", want)
			}
			out := e.must("stats", "--no-stream", "--format", "json", name)
			var s statsLine
			if err := json.Unmarshal([]byte(out), &s); err != nil {
				t.Fatalf("stats --format json: %v in %q", err, out)
			}
			if s.Container != name || s.Name != name || s.ID != id[:12] {
				t.Errorf("stats names: %+v", s)
			}
			if s.PIDs != strconv.Itoa(want) {
				t.Errorf("stats PIDs %q, the cgroup holds %d", s.PIDs, want)
			}
			if !strings.HasSuffix(s.MemUsage, " / 64MiB") || !strings.HasSuffix(s.MemPerc, "%") || !strings.HasSuffix(s.CPUPerc, "%") {
				t.Errorf("stats memory and CPU: %+v, want a limit of 64MiB and percentages", s)
			}
			// Only loopback, which Docker leaves out of NET I/O.
			if s.NetIO != "0B / 0B" || !strings.Contains(s.BlockIO, " / ") {
				t.Errorf("stats I/O: %+v", s)
			}
			// {{json .}} is the same object.
			var s2 statsLine
			if err := json.Unmarshal([]byte(e.must("stats", "--no-stream", "--format", "{{json .}}", name)), &s2); err != nil || s2.Name != name || s2.PIDs != s.PIDs {
				t.Errorf("stats --format '{{json .}}': %+v %v", s2, err)
			}
			if got := e.must("stats", "--no-stream", "--no-trunc", "--format", "{{.ID}} {{.PIDs}}", name); got != id+" 3\n" {
				t.Errorf("stats --no-trunc template: %q", got)
			}
			table := lines(e.must("stats", "--no-stream"))
			if len(table) != 2 || strings.Join(strings.Fields(table[0]), " ") != "CONTAINER ID NAME CPU % MEM USAGE / LIMIT MEM % NET I/O BLOCK I/O PIDS" ||
				!strings.HasPrefix(table[1], id[:12]) {
				t.Errorf("stats without names lists the running containers in Docker's columns, got:\n%s", strings.Join(table, "\n"))
			}
			all := e.must("stats", "--no-stream", "-a", "--format", "{{.Name}} {{.PIDs}} {{.MemUsage}}")
			if !hasLine(all, name+"-c 0 0B / 0B") || !strings.Contains(all, name+" 3 ") {
				t.Errorf("stats -a: want the created container with zeros too, got:\n%s", all)
			}
			if r := e.run("stats", "--no-stream", "nosuch-"+name); r.code != 1 || !strings.Contains(r.stderr, "no such container") {
				t.Errorf("stats of an unknown container: code %d stderr %q", r.code, r.stderr)
			}
		})
	}
}

// TestStatsStream: without --no-stream, stats redraws until interrupted
// and then exits 0.
func TestStatsStream(t *testing.T) {
	e, name := runEnv(t)
	t.Cleanup(func() { e.run("rm", "-f", name) })
	e.must(append([]string{"run", "-d", "--name", name, "busybox:test"}, sleeper(name)...)...)
	cmd := e.command("", "stats", "--format", "{{.Name}} {{.PIDs}}", name)
	out := e.tempFile()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var got string
	for range 100 {
		b, _ := os.ReadFile(out.Name())
		if got = string(b); strings.Count(got, "\033[2J\033[H") >= 2 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGINT)
	if err := cmd.Wait(); err != nil {
		t.Errorf("stats after SIGINT: %v", err)
	}
	if n := strings.Count(got, "\033[2J\033[H"+name+" 2\n"); n < 2 {
		t.Errorf("stats stream: want at least two screens of %q, got %q", name+" 2", got)
	}
}
