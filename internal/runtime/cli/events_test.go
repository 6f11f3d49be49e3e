package cli_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// runcEvent is the part of runc's event shape (runc types/events.go) that
// containerd's go-runc decodes for `ctr task metrics`.
type runcEvent struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Data *struct {
		CPU struct {
			Usage struct {
				Total  uint64   `json:"total"`
				Percpu []uint64 `json:"percpu"`
				Kernel uint64   `json:"kernel"`
				User   uint64   `json:"user"`
			} `json:"usage"`
			Throttling map[string]uint64 `json:"throttling"`
		} `json:"cpu"`
		Memory struct {
			Usage struct {
				Usage   uint64 `json:"usage"`
				Limit   uint64 `json:"limit"`
				Max     uint64 `json:"max"`
				Failcnt uint64 `json:"failcnt"`
			} `json:"usage"`
			Raw map[string]uint64 `json:"raw"`
		} `json:"memory"`
		Pids struct {
			Current uint64 `json:"current"`
			Limit   uint64 `json:"limit"`
		} `json:"pids"`
		Blkio   map[string]json.RawMessage `json:"blkio"`
		Hugetlb map[string]json.RawMessage `json:"hugetlb"`
	} `json:"data"`
}

func TestEventsStats(t *testing.T) {
	r := newRT(t)
	r.must("run", "--detach", "--bundle", r.bundle("sleep 60 & exec sleep 61"), r.name)
	waitFor(t, func() bool { return len(psPids(t, r)) == 2 })
	out := r.must("events", "--stats", r.name)
	if strings.Count(out, "\n") != 1 {
		t.Fatalf("events --stats printed more than one line:\n%s", out)
	}
	var ev runcEvent
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &top); err != nil {
		t.Fatal(err)
	}
	var data map[string]json.RawMessage
	if err := json.Unmarshal(top["data"], &data); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"cpu", "memory", "pids", "blkio", "hugetlb", "intel_rdt"} {
		if _, ok := data[k]; !ok {
			t.Errorf("data lacks %q: %s", k, out)
		}
	}
	if err := json.Unmarshal([]byte(out), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Type != "stats" || ev.ID != r.name || ev.Data == nil {
		t.Fatalf("event: %s", out)
	}
	if ev.Data.Memory.Usage.Usage == 0 || ev.Data.Pids.Current != 2 || ev.Data.CPU.Usage.Total == 0 {
		t.Errorf("memory usage %d, pids %d, cpu %d: %s", ev.Data.Memory.Usage.Usage, ev.Data.Pids.Current, ev.Data.CPU.Usage.Total, out)
	}
	for k := range ev.Data.CPU.Throttling {
		if k != "periods" && k != "throttledPeriods" && k != "throttledTime" {
			t.Errorf("throttling key %q is not runc's", k)
		}
	}
	r.must("kill", r.name, "KILL")
	waitFor(t, func() bool { return state(t, r).Status == specs.StateStopped })
	if res := r.run("events", "--stats", r.name); res.code != 1 || !strings.Contains(res.stderr, "is not running") {
		t.Fatalf("events --stats of a stopped container: exit %d, %s", res.code, res.stderr)
	}
}

// TestEventsStreamReportsOOM streams events, makes the container's shell
// run out of memory, and expects an oom event, then the stream's end when
// the container stops.
func TestEventsStreamReportsOOM(t *testing.T) {
	r := newRT(t)
	b := r.bundle(`while [ ! -e /tmp/go ]; do sleep 0.05; done; head -c 512m /dev/zero | tail; exec sleep 60`,
		func(s *specs.Spec) {
			s.Root.Readonly = false
			limit := int64(16 << 20)
			s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: &limit, Swap: &limit}
		})
	r.must("run", "--detach", "--bundle", b, r.name)

	outPath := filepath.Join(t.TempDir(), "events")
	out, err := os.Create(outPath)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	ev := r.cmd("events", "--interval", "50ms", r.name)
	ev.Stdout, ev.Stderr = out, out
	if err := ev.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- ev.Wait() }()
	t.Cleanup(func() {
		ev.Process.Kill()
		<-done
	})
	lines := func() []runcEvent {
		f, err := os.Open(outPath)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var evs []runcEvent
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var e runcEvent
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Fatalf("events printed a line that is not JSON: %q", sc.Text())
			}
			evs = append(evs, e)
		}
		return evs
	}
	has := func(typ string) bool {
		for _, e := range lines() {
			if e.Type == typ && e.ID == r.name {
				return true
			}
		}
		return false
	}
	waitFor(t, func() bool { return has("stats") })
	if err := os.WriteFile(filepath.Join(b, "rootfs/tmp/go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return has("oom") })

	// The OOM killer may have picked the shell itself (PID 1), which ends
	// the container; otherwise stop it. Either way the stream must end.
	if res := r.run("kill", r.name, "KILL"); res.code != 0 && !strings.Contains(res.stderr, "not running") {
		t.Fatalf("kill: exit %d: %s", res.code, res.stderr)
	}
	var exited bool
	var werr error
	waitFor(t, func() bool {
		select {
		case werr = <-done:
			exited = true
		default:
		}
		return exited
	})
	if werr != nil {
		b, _ := os.ReadFile(outPath)
		t.Fatalf("events exited with %v after the container stopped:\n%s", werr, b)
	}
	done <- nil // for the cleanup
}
