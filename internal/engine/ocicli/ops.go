package ocicli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
)

// Update changes the container's cgroup limits to resources (`update
// --resources -`).
func (r Runtime) Update(ctx context.Context, id string, resources specs.LinuxResources) error {
	b, err := json.Marshal(resources)
	if err != nil {
		return fmt.Errorf("encoding resources: %w", err)
	}
	_, err = r.run(ctx, call{op: "update", id: id, args: []string{"--resources", "-", id}, stdin: bytes.NewReader(b)})
	return err
}

// Stats is the resource usage `events --stats` reports, in runc's event
// shape. Only the commonly used fields are typed; Raw holds the whole
// data object.
type Stats struct {
	CPU struct {
		Usage struct {
			Total  uint64   `json:"total"`
			Percpu []uint64 `json:"percpu"`
			Kernel uint64   `json:"kernel"`
			User   uint64   `json:"user"`
		} `json:"usage"`
		Throttling struct {
			Periods          uint64 `json:"periods"`
			ThrottledPeriods uint64 `json:"throttledPeriods"`
			ThrottledTime    uint64 `json:"throttledTime"`
		} `json:"throttling"`
	} `json:"cpu"`
	Memory struct {
		Cache uint64            `json:"cache"`
		Usage MemoryEntry       `json:"usage"`
		Swap  MemoryEntry       `json:"swap"`
		Raw   map[string]uint64 `json:"raw"`
	} `json:"memory"`
	Pids struct {
		Current uint64 `json:"current"`
		Limit   uint64 `json:"limit"`
	} `json:"pids"`
	Raw json.RawMessage `json:"-"`
}

// MemoryEntry is one memory counter with its limit.
type MemoryEntry struct {
	Limit   uint64 `json:"limit"`
	Usage   uint64 `json:"usage"`
	Max     uint64 `json:"max"`
	Failcnt uint64 `json:"failcnt"`
}

// Stats returns the container's current resource usage.
func (r Runtime) Stats(ctx context.Context, id string) (*Stats, error) {
	res, err := r.run(ctx, call{op: "events", id: id, args: []string{"--stats", id}})
	if err != nil {
		return nil, err
	}
	var ev struct {
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(res.stdout, &ev); err != nil {
		return nil, fmt.Errorf("decoding stats of %s: %w", id, err)
	}
	if ev.Type != "stats" || len(ev.Data) == 0 {
		return nil, fmt.Errorf("stats of %s: runtime printed a %q event without data", id, ev.Type)
	}
	s := &Stats{Raw: ev.Data}
	if err := json.Unmarshal(ev.Data, s); err != nil {
		return nil, fmt.Errorf("decoding stats of %s: %w", id, err)
	}
	return s, nil
}

// Ps returns the pids (in the runtime's pid namespace) of the container's
// processes.
func (r Runtime) Ps(ctx context.Context, id string) ([]int, error) {
	res, err := r.run(ctx, call{op: "ps", id: id, args: []string{"--format", "json", id}})
	if err != nil {
		return nil, err
	}
	var pids []int
	if err := json.Unmarshal(res.stdout, &pids); err != nil {
		return nil, fmt.Errorf("decoding ps of %s: %w", id, err)
	}
	return pids, nil
}

// Version is what `--version` prints, in runc's three-line shape.
type Version struct {
	Runtime string // e.g. "1.1.5"
	Commit  string
	Spec    string
}

// Version returns the runtime's version.
func (r Runtime) Version(ctx context.Context) (Version, error) {
	res, err := r.run(ctx, call{op: "--version"})
	if err != nil {
		return Version{}, err
	}
	return parseVersion(string(res.stdout))
}

// parseVersion reads "NAME version V", "commit: C" and "spec: S" lines;
// other lines (runc adds go and libseccomp) are ignored.
func parseVersion(out string) (Version, error) {
	var v Version
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if k, val, ok := strings.Cut(line, ": "); ok {
			switch k {
			case "commit":
				v.Commit = val
			case "spec":
				v.Spec = val
			}
			continue
		}
		if _, val, ok := strings.Cut(line, " version "); ok && v.Runtime == "" {
			v.Runtime = strings.TrimSpace(val)
		}
	}
	if v.Runtime == "" {
		return Version{}, fmt.Errorf("parsing runtime version from %q", out)
	}
	return v, nil
}

// Features returns what the runtime supports (`features`, runtime-spec's
// features document).
func (r Runtime) Features(ctx context.Context) (*features.Features, error) {
	res, err := r.run(ctx, call{op: "features"})
	if err != nil {
		return nil, err
	}
	var f features.Features
	if err := json.Unmarshal(res.stdout, &f); err != nil {
		return nil, fmt.Errorf("decoding features: %w", err)
	}
	return &f, nil
}
