package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/engine/ocicli"
	"github.com/cais-project/cais/internal/errdefs"
)

// HealthConfig is Docker's Config.Healthcheck: Test is ["CMD", arg...],
// ["CMD-SHELL", command] or ["NONE"]; zero durations and retries take
// Docker's defaults (30s, 30s, 0s, 3).
type HealthConfig struct {
	Test        []string      `json:"Test,omitempty"`
	Interval    time.Duration `json:"Interval,omitempty"`
	Timeout     time.Duration `json:"Timeout,omitempty"`
	StartPeriod time.Duration `json:"StartPeriod,omitempty"`
	Retries     int           `json:"Retries,omitempty"`
}

// Health statuses, Docker's.
const (
	HealthStarting  = "starting"
	HealthHealthy   = "healthy"
	HealthUnhealthy = "unhealthy"
)

// Health is Docker's State.Health: the status, the failures in a row and
// the last healthLogLen results.
type Health struct {
	Status        string         `json:"Status"`
	FailingStreak int            `json:"FailingStreak"`
	Log           []HealthResult `json:"Log"`
}

// HealthResult is one check.
type HealthResult struct {
	Start    time.Time `json:"Start"`
	End      time.Time `json:"End"`
	ExitCode int       `json:"ExitCode"`
	Output   string    `json:"Output"`
}

const (
	healthName      = "health.json"
	healthLogLen    = 5
	healthOutputMax = 4096
)

// Args turns a check into the process arguments it runs; nil for none.
func (h HealthConfig) args() ([]string, error) {
	if len(h.Test) == 0 {
		return nil, nil
	}
	switch h.Test[0] {
	case "NONE":
		return nil, nil
	case "CMD":
		if len(h.Test) < 2 {
			return nil, fmt.Errorf("health check %q has no command: %w", h.Test, errdefs.ErrInvalidArgument)
		}
		return h.Test[1:], nil
	case "CMD-SHELL":
		if len(h.Test) != 2 {
			return nil, fmt.Errorf("health check %q: CMD-SHELL takes one string: %w", h.Test, errdefs.ErrInvalidArgument)
		}
		return []string{"/bin/sh", "-c", h.Test[1]}, nil
	}
	return nil, fmt.Errorf("health check %q: want CMD, CMD-SHELL or NONE: %w", h.Test, errdefs.ErrInvalidArgument)
}

func (h HealthConfig) withDefaults() HealthConfig {
	if h.Interval <= 0 {
		h.Interval = 30 * time.Second
	}
	if h.Timeout <= 0 {
		h.Timeout = 30 * time.Second
	}
	if h.Retries <= 0 {
		h.Retries = 3
	}
	return h
}

// ReadHealth reads the health a monitor recorded in dir; a container
// without a check has none (ErrNotFound).
func ReadHealth(dir string) (*Health, error) {
	b, err := os.ReadFile(filepath.Join(dir, healthName))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("health in %s: %w", dir, errdefs.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	var h Health
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, fmt.Errorf("health in %s: %w", dir, err)
	}
	return &h, nil
}

// startHealth checks r's health at the configured interval until it
// exits, recording each result in health.json.
func (s *server) startHealth(ctx context.Context, r *run) {
	if s.cfg.Health == nil {
		return
	}
	args, err := s.cfg.Health.args()
	if err != nil || args == nil {
		return
	}
	hc := s.cfg.Health.withDefaults()
	ctx = context.WithoutCancel(ctx) // a start request's context ends with it
	h := Health{Status: HealthStarting, Log: []HealthResult{}}
	s.saveHealth(&h) // before start returns, so inspect never sees none
	go func() {
		started := time.Now()
		t := time.NewTicker(hc.Interval)
		defer t.Stop()
		for {
			select {
			case <-r.exited:
				return
			case <-t.C:
			}
			res := s.check(ctx, args, hc.Timeout)
			select {
			case <-r.exited:
				return // the check failed because the container stopped
			default:
			}
			h.Log = append(h.Log, res)
			if len(h.Log) > healthLogLen {
				h.Log = h.Log[len(h.Log)-healthLogLen:]
			}
			switch {
			case res.ExitCode == 0:
				h.Status, h.FailingStreak = HealthHealthy, 0
			case h.Status == HealthStarting && time.Since(started) < hc.StartPeriod:
				// Failures in the start period do not count.
			default:
				h.FailingStreak++
				if h.FailingStreak >= hc.Retries {
					h.Status = HealthUnhealthy
				}
			}
			s.saveHealth(&h)
		}
	}()
}

func (s *server) saveHealth(h *Health) {
	b, _ := json.Marshal(h)
	if err := writeFileAtomic(filepath.Join(s.cfg.Dir, healthName), b); err != nil {
		fmt.Fprintf(os.Stderr, "cais-monitor %s: writing health: %v\n", s.cfg.ID, err)
	}
}

// check runs one health check with `runtime exec` (which waits for and
// reaps the process). At the timeout the process is killed through its
// pid file; a runtime that still does not return is killed too, and the
// process, then an orphan of this subreaper, is reaped here.
func (s *server) check(ctx context.Context, args []string, timeout time.Duration) (res HealthResult) {
	res = HealthResult{Start: time.Now().UTC(), ExitCode: -1}
	defer func() { res.End = time.Now().UTC() }()
	p, err := s.checkProcess(args)
	if err != nil {
		res.Output = err.Error()
		return res
	}
	dir, err := os.MkdirTemp(s.cfg.Dir, "health-")
	if err != nil {
		res.Output = err.Error()
		return res
	}
	defer os.RemoveAll(dir)
	pidFile := filepath.Join(dir, "pid")
	out, err := os.CreateTemp(dir, "out-")
	if err != nil {
		res.Output = err.Error()
		return res
	}
	defer out.Close()

	rctx, cancel := context.WithTimeout(ctx, timeout+10*time.Second)
	defer cancel()
	var timedOut atomic.Bool
	timer := time.AfterFunc(timeout, func() {
		timedOut.Store(true)
		if pid, err := readPid(pidFile); err == nil {
			unix.Kill(pid, unix.SIGKILL)
		}
	})
	err = s.rt.Exec(rctx, s.cfg.ID, p, ocicli.ExecOpts{PidFile: pidFile, IO: &ocicli.IO{Stdout: out, Stderr: out}})
	timer.Stop()
	if rctx.Err() != nil {
		// The runtime was killed: its process is ours now.
		if pid, perr := readPid(pidFile); perr == nil {
			unix.Kill(pid, unix.SIGKILL)
			var ws unix.WaitStatus
			unix.Wait4(pid, &ws, 0, nil)
		}
	}
	b, _ := os.ReadFile(out.Name())
	if len(b) > healthOutputMax {
		b = b[:healthOutputMax]
	}
	res.Output = string(b)
	switch {
	case timedOut.Load():
		res.Output = fmt.Sprintf("Health check exceeded timeout (%v)", timeout)
	case err == nil:
		res.ExitCode = 0
	default:
		if code := ocicli.ExitStatus(err); code > 0 {
			res.ExitCode = code
		} else {
			res.Output += err.Error()
		}
	}
	return res
}

// checkProcess is the container's process (env, user, cwd, capabilities)
// running args.
func (s *server) checkProcess(args []string) (specs.Process, error) {
	b, err := os.ReadFile(filepath.Join(s.cfg.Bundle, "config.json"))
	if err != nil {
		return specs.Process{}, err
	}
	var spec specs.Spec
	if err := json.Unmarshal(b, &spec); err != nil || spec.Process == nil {
		return specs.Process{}, fmt.Errorf("reading the bundle's process: %v", err)
	}
	p := *spec.Process
	p.Args, p.Terminal, p.ConsoleSize = args, false, nil
	return p, nil
}

func readPid(p string) (int, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(string(bytes.TrimSpace(b)))
}

// parseHealthFlag decodes --health (JSON of HealthConfig).
func parseHealthFlag(c *Config) func(string) error {
	return func(s string) error {
		var h HealthConfig
		if err := json.NewDecoder(strings.NewReader(s)).Decode(&h); err != nil {
			return err
		}
		c.Health = &h
		return nil
	}
}
