package engine

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"

	"github.com/cais-project/cais/internal/engine/monitor"
	"github.com/cais-project/cais/internal/errdefs"
)

// TopResult is `cais top`'s table: the host ps's column titles and the
// rows of the container's processes.
type TopResult struct {
	Titles    []string
	Processes [][]string
}

// TopContainer lists c's processes as Docker does: the runtime's ps gives
// their pids, the host's ps (with psArgs, "-ef" when empty) describes every
// process, and the rows whose PID column is one of the container's are
// kept.
func (e *Engine) TopContainer(ctx context.Context, c *Container, psArgs []string) (TopResult, error) {
	st, err := e.State(ctx, c)
	if err != nil {
		return TopResult{}, err
	}
	if st.State != monitor.StateRunning && st.State != StatePaused {
		return TopResult{}, fmt.Errorf("container %s is not running: %w", c.ID, errdefs.ErrConflict)
	}
	pids, err := c.runtime().Ps(ctx, c.ID)
	if err != nil {
		return TopResult{}, fmt.Errorf("listing the processes of %s: %w", c.Name, err)
	}
	if len(psArgs) == 0 {
		psArgs = []string{"-ef"}
	}
	out, err := exec.CommandContext(ctx, "ps", psArgs...).Output()
	if err != nil {
		msg := err.Error()
		if ee, ok := err.(*exec.ExitError); ok && len(ee.Stderr) > 0 {
			msg = strings.TrimSpace(string(ee.Stderr))
		}
		return TopResult{}, fmt.Errorf("error running ps: %s: %w", msg, errdefs.ErrInvalidArgument)
	}
	return parsePs(string(out), pids)
}

// parsePs keeps the lines of ps output whose PID column is in pids; the
// last column (the command) keeps its spaces.
func parsePs(out string, pids []int) (TopResult, error) {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	titles := strings.Fields(lines[0])
	col := -1
	for i, t := range titles {
		if t == "PID" {
			col = i
		}
	}
	if col < 0 {
		return TopResult{}, fmt.Errorf("couldn't find PID field in ps output: %w", errdefs.ErrInvalidArgument)
	}
	want := map[int]bool{}
	for _, p := range pids {
		want[p] = true
	}
	res := TopResult{Titles: titles, Processes: [][]string{}}
	for _, l := range lines[1:] {
		fs := splitFields(l, len(titles))
		if len(fs) <= col {
			continue
		}
		p, err := strconv.Atoi(fs[col])
		if err != nil {
			return TopResult{}, fmt.Errorf("unexpected pid %q in ps output: %w", fs[col], errdefs.ErrInvalidArgument)
		}
		if want[p] {
			res.Processes = append(res.Processes, fs)
		}
	}
	return res, nil
}

// splitFields splits l at runs of blanks into at most n fields.
func splitFields(l string, n int) []string {
	var out []string
	l = strings.TrimLeft(l, " \t")
	for len(out) < n-1 && l != "" {
		i := strings.IndexAny(l, " \t")
		if i < 0 {
			break
		}
		out = append(out, l[:i])
		l = strings.TrimLeft(l[i:], " \t")
	}
	if l != "" {
		out = append(out, l)
	}
	return out
}
