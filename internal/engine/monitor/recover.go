package monitor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cais-project/cais/internal/engine/ocicli"
	"github.com/cais-project/cais/internal/errdefs"
)

// What Recover found the container to be.
const (
	RecoveredRunning = "running" // the runtime has it created, running or paused
	RecoveredExited  = "exited"  // stopped in the runtime; ExitCode from state.json or -1
	RecoveredGone    = "gone"    // the runtime does not know it
)

// Recovery is the truth about a container whose monitor is gone.
type Recovery struct {
	State    string
	Pid      int // the init's pid while running
	ExitCode int // -1 when unknown
}

// Alive reports whether the monitor that wrote dir/monitor.pid still runs:
// the pid exists, has the recorded start time and is not a zombie (a
// killed monitor stays one when its parent, often init in a sandbox, does
// not reap it).
func Alive(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, pidName))
	if err != nil {
		return false
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return false
	}
	pid, err1 := strconv.Atoi(f[0])
	want, err2 := strconv.ParseUint(f[1], 10, 64)
	if err1 != nil || err2 != nil {
		return false
	}
	state, got, err := procStat("/proc", pid)
	return err == nil && got == want && state != 'Z' && state != 'X'
}

// Recover finds the state of container id from the runtime when its
// monitor (in dir) is gone, and removes the monitor's leftovers (socket,
// pid files, console socket; state.json and logs stay for the engine). It
// refuses with ErrConflict while the monitor is alive. The container itself
// is left as found: deleting it (rt.Delete with force) is the caller's
// choice.
func Recover(ctx context.Context, rt ocicli.Runtime, dir, id string) (Recovery, error) {
	if Alive(dir) {
		return Recovery{}, fmt.Errorf("monitor of %s is alive: %w", id, errdefs.ErrConflict)
	}
	for _, name := range []string{socketName, pidName, initPidName, consoleName} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return Recovery{}, fmt.Errorf("removing monitor leftovers: %w", err)
		}
	}
	rec := Recovery{ExitCode: -1}
	st, err := rt.State(ctx, id)
	switch {
	case errors.Is(err, errdefs.ErrNotFound):
		rec.State = RecoveredGone
	case err != nil:
		return Recovery{}, fmt.Errorf("recovering %s: %w", id, err)
	case st.Status == "stopped":
		rec.State = RecoveredExited
	default:
		rec.State, rec.Pid = RecoveredRunning, st.Pid
	}
	if rec.State != RecoveredRunning {
		if saved, err := ReadState(dir); err == nil && saved.State == StateExited {
			rec.ExitCode = saved.ExitCode
		}
	}
	return rec, nil
}
