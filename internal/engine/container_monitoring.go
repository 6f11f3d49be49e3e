package engine

import (
	"github.com/cais-project/cais/internal/engine/monitor"
)

// MonitorOptions are what a container's monitor does besides running it:
// json-file rotation (--log-opt) and, later, health checks. They are
// kept in the container's record so a restart gets them again.
type MonitorOptions struct {
	// LogMaxSize is the size in bytes past which the log rotates (0:
	// never); LogMaxFiles the files kept, the live one included.
	LogMaxSize  int64 `json:"logMaxSize,omitempty"`
	LogMaxFiles int   `json:"logMaxFiles,omitempty"`
}

// applyMonitorOptions puts o into the monitor's config.
func applyMonitorOptions(cfg *monitor.Config, o MonitorOptions) {
	cfg.LogMaxSize, cfg.LogMaxFiles = o.LogMaxSize, o.LogMaxFiles
}
