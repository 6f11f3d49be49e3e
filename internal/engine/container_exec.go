package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/engine/monitor"
	"github.com/cais-project/cais/internal/engine/ocicli"
	"github.com/cais-project/cais/internal/errdefs"
)

// ExecOptions are what `cais exec` asks for.
type ExecOptions struct {
	Cmd     []string // required
	Env     []string // "K=V", added to (or replacing) the container's
	User    string   // "UID[:GID]"; empty keeps the container's user
	WorkDir string   // empty keeps the container's
	Detach  bool     // return once the process runs
	// Stdin, Stdout and Stderr are the process's stdio; nil is /dev/null.
	// With Tty, Stdin (when set) is copied to the terminal and the
	// terminal's output to Stdout.
	Stdin, Stdout, Stderr *os.File
	// Tty runs the process on a terminal of its own (exec -t), of
	// ConsoleRows x ConsoleCols when both are set; OnConsole, if set, is
	// called once the terminal exists (to follow the caller's size).
	Tty                      bool
	ConsoleRows, ConsoleCols uint16
	OnConsole                func(*ExecConsole)
}

// ExecContainer runs a process in a running container through its OCI
// runtime, with the container's process settings (capabilities, env,
// rlimits) amended by o. It returns the process's exit status; an error
// means it did not run (ocicli.ExitCode tells 126/127), and a container
// that is not running is an errdefs.ErrConflict.
func (e *Engine) ExecContainer(ctx context.Context, c *Container, o ExecOptions) (int, error) {
	if len(o.Cmd) == 0 {
		return -1, fmt.Errorf("exec needs a command: %w", errdefs.ErrInvalidArgument)
	}
	st, err := e.State(ctx, c)
	if err != nil {
		return -1, err
	}
	if st.State == StatePaused {
		return -1, fmt.Errorf("Container %s is paused, unpause the container before exec: %w", c.Name, errdefs.ErrConflict)
	}
	if st.State != monitor.StateRunning {
		return -1, fmt.Errorf("container %s is not running: %w", c.Name, errdefs.ErrConflict)
	}
	base, err := e.containerProcess(c)
	if err != nil {
		return -1, err
	}
	p, err := execProcess(base, o)
	if err != nil {
		return -1, err
	}
	if o.Tty && !o.Detach {
		err = e.execTTY(ctx, c, p, o)
	} else {
		err = c.runtime().Exec(ctx, c.ID, p, ocicli.ExecOpts{
			Detach: o.Detach,
			IO:     &ocicli.IO{Stdin: o.Stdin, Stdout: o.Stdout, Stderr: o.Stderr},
		})
	}
	if code := ocicli.ExitStatus(err); code >= 0 {
		return code, nil
	}
	return -1, err
}

// containerSpec reads the OCI spec the container was created with.
func (e *Engine) containerSpec(c *Container) (*specs.Spec, error) {
	b, err := os.ReadFile(filepath.Join(e.runDir(c.ID), "config.json"))
	if err != nil {
		return nil, fmt.Errorf("reading the spec of %s: %w", c.Name, err)
	}
	var s specs.Spec
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("reading the spec of %s: %w", c.Name, err)
	}
	if s.Process == nil {
		return nil, fmt.Errorf("spec of %s has no process: %w", c.Name, errdefs.ErrInvalidArgument)
	}
	return &s, nil
}

// containerProcess reads only the process of the container's spec: the
// rest (Docker's seccomp profile is most of its bytes) would cost exec a
// full decode it does not use.
func (e *Engine) containerProcess(c *Container) (*specs.Process, error) {
	b, err := os.ReadFile(filepath.Join(e.runDir(c.ID), "config.json"))
	if err != nil {
		return nil, fmt.Errorf("reading the spec of %s: %w", c.Name, err)
	}
	var s struct {
		Process *specs.Process `json:"process"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("reading the spec of %s: %w", c.Name, err)
	}
	if s.Process == nil {
		return nil, fmt.Errorf("spec of %s has no process: %w", c.Name, errdefs.ErrInvalidArgument)
	}
	return s.Process, nil
}

// execProcess is the container's process with o's command, env, user and
// directory.
func execProcess(base *specs.Process, o ExecOptions) (specs.Process, error) {
	p := *base
	p.Args = o.Cmd
	p.Terminal = false
	p.ConsoleSize = nil
	p.Env = mergeEnv(base.Env, o.Env)
	if o.WorkDir != "" {
		if !strings.HasPrefix(o.WorkDir, "/") {
			return p, fmt.Errorf("working directory %q is not absolute: %w", o.WorkDir, errdefs.ErrInvalidArgument)
		}
		p.Cwd = o.WorkDir
	}
	if o.User != "" {
		u, err := parseNumericUser(o.User)
		if err != nil {
			return p, err
		}
		p.User = u
	}
	return p, nil
}

// mergeEnv returns base with add's variables appended, a variable in add
// replacing base's of the same name.
func mergeEnv(base, add []string) []string {
	out := append([]string(nil), base...)
	for _, kv := range add {
		k, _, _ := strings.Cut(kv, "=")
		replaced := false
		for i, old := range out {
			if ok, _, _ := strings.Cut(old, "="); ok == k {
				out[i], replaced = kv, true
				break
			}
		}
		if !replaced {
			out = append(out, kv)
		}
	}
	return out
}

// parseNumericUser parses "UID[:GID]"; without a GID the group is the UID.
func parseNumericUser(s string) (specs.User, error) {
	us, gs, hasGroup := strings.Cut(s, ":")
	uid, err := strconv.ParseUint(us, 10, 32)
	if err != nil {
		return specs.User{}, fmt.Errorf("user %q: only UID[:GID] is supported: %w", s, errdefs.ErrInvalidArgument)
	}
	gid := uid
	if hasGroup {
		if gid, err = strconv.ParseUint(gs, 10, 32); err != nil {
			return specs.User{}, fmt.Errorf("user %q: only UID[:GID] is supported: %w", s, errdefs.ErrInvalidArgument)
		}
	}
	return specs.User{UID: uint32(uid), GID: uint32(gid)}, nil
}
