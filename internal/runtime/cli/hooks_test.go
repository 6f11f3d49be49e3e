package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/runtime-spec/specs-go"
)

// hookRecord is what one hook wrote: its kind (argv[0] of its script),
// the mount namespace it ran in and the state it read on stdin.
type hookRecord struct {
	Kind   string
	MntNS  string // "host", "container" or the link itself
	Status specs.ContainerState
	ID     string
	Pid    int
}

// TestHooksOrderStateAndNamespaces gives every hook kind a shell script
// that appends its argv, mount namespace and stdin to a log, and checks
// the order runtime-spec gives them, the status in each state and where
// they ran: createContainer and startContainer in the container's mount
// namespace, the others in the runtime's.
func TestHooksOrderStateAndNamespaces(t *testing.T) {
	r := newRT(t)
	logDir := t.TempDir()
	makeTraversable(t, logDir)
	const inside = "/hooklog" // logDir as the container sees it after pivot_root
	hook := func(kind, dir string) []specs.Hook {
		script := `state=$(cat); echo "$0 $(readlink /proc/self/ns/mnt) $state" >>"$1/log"`
		return []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", script, kind, dir}}}
	}
	b := r.bundle("exec sleep 60", func(s *specs.Spec) {
		s.Mounts = append(s.Mounts, specs.Mount{Destination: inside, Type: "bind", Source: logDir, Options: []string{"rbind"}})
		s.Hooks = &specs.Hooks{
			//lint:ignore SA1019 prestart is deprecated but runtimes still run it.
			Prestart:        hook("prestart", logDir),
			CreateRuntime:   hook("createRuntime", logDir),
			CreateContainer: hook("createContainer", logDir), // before pivot_root: host paths
			StartContainer:  hook("startContainer", inside),
			Poststart:       hook("poststart", logDir),
			Poststop:        hook("poststop", logDir),
		}
	})
	hostNS, err := os.Readlink("/proc/self/ns/mnt")
	if err != nil {
		t.Fatal(err)
	}

	r.must("create", "--bundle", b, r.name)
	pid := state(t, r).Pid
	ctrNS, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", pid))
	if err != nil {
		t.Fatal(err)
	}
	if ctrNS == hostNS {
		t.Fatal("the container shares the host's mount namespace")
	}
	read := func() []hookRecord { return readHookLog(t, filepath.Join(logDir, "log"), hostNS, ctrNS) }
	rec := func(kind, ns string, status specs.ContainerState) hookRecord {
		return hookRecord{Kind: kind, MntNS: ns, Status: status, ID: r.name, Pid: pid}
	}
	want := []hookRecord{
		rec("prestart", "host", specs.StateCreating),
		rec("createRuntime", "host", specs.StateCreating),
		rec("createContainer", "container", specs.StateCreating),
	}
	if diff := cmp.Diff(want, read()); diff != "" {
		t.Fatalf("hooks after create (-want +got):\n%s", diff)
	}

	r.must("start", r.name)
	want = append(want, rec("startContainer", "container", specs.StateCreated), rec("poststart", "host", specs.StateRunning))
	if diff := cmp.Diff(want, read()); diff != "" {
		t.Fatalf("hooks after start (-want +got):\n%s", diff)
	}

	r.must("kill", r.name, "KILL")
	waitFor(t, func() bool { return state(t, r).Status == specs.StateStopped })
	r.must("delete", r.name)
	// The process is gone by then: no pid (runtime-spec requires one only
	// while created or running; runc leaves it out too).
	stopped := rec("poststop", "host", specs.StateStopped)
	stopped.Pid = 0
	want = append(want, stopped)
	if diff := cmp.Diff(want, read()); diff != "" {
		t.Fatalf("hooks after delete (-want +got):\n%s", diff)
	}
}

func readHookLog(t *testing.T, path, hostNS, ctrNS string) []hookRecord {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var recs []hookRecord
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		kind, rest, _ := strings.Cut(line, " ")
		ns, stateJSON, _ := strings.Cut(rest, " ")
		var st specs.State
		if err := json.Unmarshal([]byte(stateJSON), &st); err != nil {
			t.Fatalf("hook %s read a state that is not JSON: %v\n%s", kind, err, stateJSON)
		}
		switch ns {
		case hostNS:
			ns = "host"
		case ctrNS:
			ns = "container"
		}
		recs = append(recs, hookRecord{Kind: kind, MntNS: ns, Status: st.Status, ID: st.ID, Pid: st.Pid})
	}
	return recs
}
