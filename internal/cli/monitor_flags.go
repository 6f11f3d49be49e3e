package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/cais-project/cais/internal/engine"
	"github.com/cais-project/cais/internal/engine/monitor"
	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/units"
)

// monitorFlags are the create/run flags the container's monitor acts on:
// --log-opt (json-file rotation) and the health check flags.
type monitorFlags struct {
	logOpts []string

	healthCmd                                     string
	healthInterval, healthTimeout, healthStartPer time.Duration
	healthRetries                                 int
	noHealthcheck                                 bool
}

// register adds the flags to f; containerFlags.register calls it.
func (m *monitorFlags) register(f *pflag.FlagSet) {
	stringListVar(f, &m.logOpts, "log-opt", `json-file log option: "max-size=10m", "max-file=3" (repeatable)`)
	f.StringVar(&m.healthCmd, "health-cmd", "", "command to run to check health (run by /bin/sh -c)")
	f.DurationVar(&m.healthInterval, "health-interval", 0, "time between health checks (ms|s|m|h) (default 30s)")
	f.DurationVar(&m.healthTimeout, "health-timeout", 0, "maximum time one check may take (ms|s|m|h) (default 30s)")
	f.DurationVar(&m.healthStartPer, "health-start-period", 0, "start period during which failed checks do not count (ms|s|m|h) (default 0s)")
	f.IntVar(&m.healthRetries, "health-retries", 0, "consecutive failures needed to report unhealthy (default 3)")
	f.BoolVar(&m.noHealthcheck, "no-healthcheck", false, "disable any container-specified HEALTHCHECK")
}

// health parses the health flags into o, with Docker's checks.
func (m *monitorFlags) health(o *engine.MonitorOptions) error {
	set := m.healthCmd != "" || m.healthInterval != 0 || m.healthTimeout != 0 || m.healthStartPer != 0 || m.healthRetries != 0
	if m.noHealthcheck {
		if set {
			return fmt.Errorf("--no-healthcheck conflicts with --health-* options: %w", errdefs.ErrInvalidArgument)
		}
		o.NoHealthcheck = true
		return nil
	}
	if !set {
		return nil
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"--health-interval", m.healthInterval}, {"--health-timeout", m.healthTimeout}, {"--health-start-period", m.healthStartPer}} {
		if d.v < 0 {
			return fmt.Errorf("%s cannot be negative: %w", d.name, errdefs.ErrInvalidArgument)
		}
		if d.v != 0 && d.v < time.Millisecond {
			return fmt.Errorf("%s must be at least 1ms: %w", d.name, errdefs.ErrInvalidArgument)
		}
	}
	if m.healthRetries < 0 {
		return fmt.Errorf("--health-retries cannot be negative: %w", errdefs.ErrInvalidArgument)
	}
	h := &monitor.HealthConfig{Interval: m.healthInterval, Timeout: m.healthTimeout, StartPeriod: m.healthStartPer, Retries: m.healthRetries}
	if m.healthCmd != "" {
		h.Test = []string{"CMD-SHELL", m.healthCmd}
	}
	o.Health = h
	return nil
}

// options parses the flags into o.
func (m *monitorFlags) options(o *engine.MonitorOptions) error {
	maxFile := 0
	for _, arg := range m.logOpts {
		for kv := range strings.SplitSeq(arg, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return fmt.Errorf("invalid log opt %q: want key=value: %w", kv, errdefs.ErrInvalidArgument)
			}
			switch k {
			case "max-size":
				n, err := units.RAMInBytes(v)
				if err != nil || n < 0 {
					return fmt.Errorf("invalid log opt max-size %q: want a size such as 10m: %w", v, errdefs.ErrInvalidArgument)
				}
				o.LogMaxSize = n
			case "max-file":
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 {
					return fmt.Errorf("invalid log opt max-file %q: want a number of at least 1: %w", v, errdefs.ErrInvalidArgument)
				}
				maxFile = n
			default:
				return fmt.Errorf("unknown log opt %q for json-file log driver: %w", k, errdefs.ErrInvalidArgument)
			}
		}
	}
	if maxFile > 1 && o.LogMaxSize == 0 {
		return fmt.Errorf("invalid log opt max-file: it needs max-size: %w", errdefs.ErrInvalidArgument)
	}
	o.LogMaxFiles = maxFile
	return m.health(o)
}

// healthSuffix is what Docker's STATUS column adds for a health status.
func healthSuffix(status string) string {
	switch status {
	case "":
		return ""
	case monitor.HealthStarting:
		return " (health: starting)"
	}
	return " (" + status + ")"
}
