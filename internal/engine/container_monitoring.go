package engine

import (
	"context"
	"encoding/json"

	"github.com/cais-project/cais/internal/engine/monitor"
	"github.com/cais-project/cais/internal/image/content"
	"github.com/cais-project/cais/internal/image/registry"
)

// MonitorOptions are what a container's monitor does besides running it:
// json-file rotation (--log-opt) and health checks. They are kept in the
// container's record so a restart gets them again.
type MonitorOptions struct {
	// LogMaxSize is the size in bytes past which the log rotates (0:
	// never); LogMaxFiles the files kept, the live one included.
	LogMaxSize  int64 `json:"logMaxSize,omitempty"`
	LogMaxFiles int   `json:"logMaxFiles,omitempty"`
	// Health is the user's check (--health-*): its set fields override
	// the image's HEALTHCHECK. NoHealthcheck disables any check. Once the
	// container is created, Health is the check in effect.
	Health        *monitor.HealthConfig `json:"health,omitempty"`
	NoHealthcheck bool                  `json:"noHealthcheck,omitempty"`
}

// applyMonitorOptions puts o into the monitor's config.
func applyMonitorOptions(cfg *monitor.Config, o MonitorOptions) {
	cfg.LogMaxSize, cfg.LogMaxFiles = o.LogMaxSize, o.LogMaxFiles
	if !o.NoHealthcheck && o.Health != nil && len(o.Health.Test) > 0 && o.Health.Test[0] != "NONE" {
		cfg.Health = o.Health
	}
}

// resolveHealth merges the image's HEALTHCHECK under the user's flags,
// as Docker does field by field.
func (e *Engine) resolveHealth(ctx context.Context, img *image, o MonitorOptions) MonitorOptions {
	if o.NoHealthcheck {
		o.Health = nil
		return o
	}
	h := imageHealth(ctx, e.content, img)
	if o.Health != nil {
		u := *o.Health
		if h == nil {
			h = &monitor.HealthConfig{}
		}
		if len(u.Test) > 0 {
			h.Test = u.Test
		}
		if u.Interval > 0 {
			h.Interval = u.Interval
		}
		if u.Timeout > 0 {
			h.Timeout = u.Timeout
		}
		if u.StartPeriod > 0 {
			h.StartPeriod = u.StartPeriod
		}
		if u.Retries > 0 {
			h.Retries = u.Retries
		}
	}
	if h != nil && len(h.Test) == 0 {
		h = nil
	}
	o.Health = h
	return o
}

// imageHealth is Docker's config.Healthcheck of the image's config blob
// (the OCI image config type has no such field); nil when none.
func imageHealth(ctx context.Context, store *content.Store, img *image) *monitor.HealthConfig {
	b := img.configJSON
	if b == nil {
		var err error
		if b, err = content.ReadBlob(ctx, store, img.loaded.Manifest.Config, registry.DefaultManifestLimit); err != nil {
			return nil
		}
	}
	var cfg struct {
		Config struct {
			Healthcheck *monitor.HealthConfig `json:"Healthcheck"`
		} `json:"config"`
	}
	if json.Unmarshal(b, &cfg) != nil {
		return nil
	}
	return cfg.Config.Healthcheck
}

// containerHealth is the health the monitor recorded, or nil.
func (e *Engine) containerHealth(c *Container) *monitor.Health {
	h, err := monitor.ReadHealth(e.monitorDir(c.ID))
	if err != nil {
		return nil
	}
	return h
}
