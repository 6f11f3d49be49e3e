package monitor

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cais-project/cais/internal/engine/ocicli"
	"github.com/cais-project/cais/internal/errdefs"
)

// Config is what one monitor is told at spawn, as its command line.
type Config struct {
	ID     string // container ID (required)
	Bundle string // OCI bundle directory (required)
	Dir    string // the monitor's own directory in the runroot (required)

	Runtime ocicli.Runtime // Path required

	// LogPath is the json-file log; empty means Dir/container.log.
	LogPath     string
	LogMaxSize  int64 // bytes per file before rotating; 0 never rotates
	LogMaxFiles int   // files kept, the live one included; < 1 means 1

	Stdin     bool // keep the container's stdin open for attach
	StdinOnce bool // close stdin when the first attached client ends
	StartNow  bool // start right after create, not on a start request
	// CreateOnStart makes nothing at spawn but the stdio: the start
	// request creates and starts the container with one `runtime run
	// --detach` (launch.go). Not with StartNow.
	CreateOnStart bool
	Remove        bool          // --rm: delete the container and run Cleanup at the end
	Cleanup       []string      // argv run after the final exit when Remove is set
	Restart       RestartPolicy // what to do when the container exits
	Health        *HealthConfig // checked while running; nil: none

	// Record exists while the engine's record of the container does: after
	// a removal claim (claim.go) the monitor cleans up only if it remains.
	Record string

	// Terminal is the bundle's process.terminal when the caller knows it
	// (the engine does: it wrote the bundle); nil makes the monitor read
	// the bundle's config.json for it, a 17 KB decode on its start path.
	Terminal *bool
}

// RestartPolicy is Docker's: "no", "on-failure[:N]", "always",
// "unless-stopped". The monitor treats unless-stopped like always: the
// difference (what happens when the engine itself restarts) is the
// engine's.
type RestartPolicy struct {
	Name       string // "no" (or ""), "on-failure", "always", "unless-stopped"
	MaxRetries int    // on-failure only; 0 means no limit
}

// ParseRestartPolicy parses Docker's --restart value.
func ParseRestartPolicy(s string) (RestartPolicy, error) {
	name, n, hasN := strings.Cut(s, ":")
	p := RestartPolicy{Name: name}
	switch name {
	case "", "no", "always", "unless-stopped":
		if hasN {
			return RestartPolicy{}, fmt.Errorf("restart policy %q takes no count: %w", s, errdefs.ErrInvalidArgument)
		}
	case "on-failure":
		if hasN {
			v, err := strconv.Atoi(n)
			if err != nil || v < 0 {
				return RestartPolicy{}, fmt.Errorf("restart policy %q: bad count: %w", s, errdefs.ErrInvalidArgument)
			}
			p.MaxRetries = v
		}
	default:
		return RestartPolicy{}, fmt.Errorf("restart policy %q: unknown: %w", s, errdefs.ErrInvalidArgument)
	}
	return p, nil
}

func (p RestartPolicy) String() string {
	if p.Name == "on-failure" && p.MaxRetries > 0 {
		return p.Name + ":" + strconv.Itoa(p.MaxRetries)
	}
	if p.Name == "" {
		return "no"
	}
	return p.Name
}

// shouldRestart decides after an exit with code, restarts made so far and
// whether the user asked for the stop.
func (p RestartPolicy) shouldRestart(code, restarts int, userStop bool) bool {
	if userStop {
		return false
	}
	switch p.Name {
	case "always", "unless-stopped":
		return true
	case "on-failure":
		return code != 0 && (p.MaxRetries == 0 || restarts < p.MaxRetries)
	}
	return false
}

// backoff is the delay before restart number n (0-based) in a row: 100ms
// doubling, at most a minute.
func backoff(n int) time.Duration {
	d := 100 * time.Millisecond
	for i := 0; i < n && d < time.Minute; i++ {
		d *= 2
	}
	return min(d, time.Minute)
}

// Args is the command line that makes cais-monitor run with c (without the
// program name). The container ID comes first so `ps` shows it.
func (c Config) Args() []string {
	a := []string{"--id", c.ID, "--bundle", c.Bundle, "--dir", c.Dir, "--runtime", c.Runtime.Path}
	add := func(k, v string) {
		if v != "" {
			a = append(a, k, v)
		}
	}
	add("--runtime-root", c.Runtime.Root)
	add("--runtime-log", c.Runtime.Log)
	add("--log-path", c.LogPath)
	add("--record", c.Record)
	if c.LogMaxSize > 0 {
		add("--log-max-size", strconv.FormatInt(c.LogMaxSize, 10))
	}
	if c.LogMaxFiles > 0 {
		add("--log-max-files", strconv.Itoa(c.LogMaxFiles))
	}
	add("--restart", c.Restart.String())
	for _, b := range []struct {
		on   bool
		name string
	}{{c.Runtime.SystemdCgroup, "--systemd-cgroup"}, {c.Stdin, "--stdin"}, {c.StdinOnce, "--stdin-once"}, {c.StartNow, "--start"}, {c.CreateOnStart, "--create-on-start"}, {c.Remove, "--rm"}} {
		if b.on {
			a = append(a, b.name)
		}
	}
	for _, arg := range c.Cleanup {
		a = append(a, "--cleanup-arg", arg)
	}
	if c.Health != nil {
		b, _ := json.Marshal(c.Health)
		a = append(a, "--health", string(b))
	}
	if c.Terminal != nil {
		a = append(a, "--terminal="+strconv.FormatBool(*c.Terminal))
	}
	return a
}

// ParseArgs is the inverse of Args.
func ParseArgs(args []string, errOut io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("cais-monitor", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.StringVar(&c.ID, "id", "", "container ID")
	fs.StringVar(&c.Bundle, "bundle", "", "OCI bundle directory")
	fs.StringVar(&c.Dir, "dir", "", "the monitor's directory")
	fs.StringVar(&c.Runtime.Path, "runtime", "", "OCI runtime binary")
	fs.StringVar(&c.Runtime.Root, "runtime-root", "", "the runtime's --root")
	fs.StringVar(&c.Runtime.Log, "runtime-log", "", "the runtime's --log")
	fs.BoolVar(&c.Runtime.SystemdCgroup, "systemd-cgroup", false, "pass --systemd-cgroup to the runtime")
	fs.StringVar(&c.LogPath, "log-path", "", "json-file log path")
	fs.StringVar(&c.Record, "record", "", "path that exists while the engine's record does")
	fs.Int64Var(&c.LogMaxSize, "log-max-size", 0, "bytes per log file before rotation")
	fs.IntVar(&c.LogMaxFiles, "log-max-files", 1, "log files kept")
	restart := fs.String("restart", "no", "restart policy")
	fs.BoolVar(&c.Stdin, "stdin", false, "keep stdin open")
	fs.BoolVar(&c.StdinOnce, "stdin-once", false, "close stdin after the first attach")
	fs.BoolVar(&c.StartNow, "start", false, "start right after create")
	fs.BoolVar(&c.CreateOnStart, "create-on-start", false, "create and start at once on the start request")
	fs.BoolVar(&c.Remove, "rm", false, "delete the container at the end")
	fs.Func("cleanup-arg", "argument of the cleanup command (repeat)", func(s string) error {
		c.Cleanup = append(c.Cleanup, s)
		return nil
	})
	fs.Func("health", "health check (JSON of HealthConfig)", parseHealthFlag(&c))
	fs.Func("terminal", "the bundle's process.terminal (default: read the bundle)", func(s string) error {
		v, err := strconv.ParseBool(s)
		c.Terminal = &v
		return err
	})
	if err := fs.Parse(args); err != nil {
		return Config{}, fmt.Errorf("%w: %w", err, errdefs.ErrInvalidArgument)
	}
	var err error
	if c.Restart, err = ParseRestartPolicy(*restart); err != nil {
		return Config{}, err
	}
	return c, c.validate()
}

func (c Config) validate() error {
	for _, f := range []struct{ name, v string }{{"id", c.ID}, {"bundle", c.Bundle}, {"dir", c.Dir}, {"runtime", c.Runtime.Path}} {
		if f.v == "" {
			return fmt.Errorf("--%s is required: %w", f.name, errdefs.ErrInvalidArgument)
		}
	}
	if c.StartNow && c.CreateOnStart {
		return fmt.Errorf("--start and --create-on-start conflict: %w", errdefs.ErrInvalidArgument)
	}
	if !filepath.IsAbs(c.Dir) || !filepath.IsAbs(c.Bundle) {
		return fmt.Errorf("--dir and --bundle must be absolute: %w", errdefs.ErrInvalidArgument)
	}
	if len(c.socketPath()) > 107 {
		return fmt.Errorf("monitor dir %s: too long for a unix socket path: %w", c.Dir, errdefs.ErrInvalidArgument)
	}
	return nil
}

func (c Config) socketPath() string { return filepath.Join(c.Dir, socketName) }

func (c Config) logPath() string {
	if c.LogPath != "" {
		return c.LogPath
	}
	return filepath.Join(c.Dir, "container.log")
}

// Names of the files in a monitor's directory.
const (
	socketName  = "monitor.sock"
	pidName     = "monitor.pid"
	stateName   = "state.json"
	initPidName = "init.pid"
	consoleName = "console.sock"
	logName     = "monitor.log"
)
