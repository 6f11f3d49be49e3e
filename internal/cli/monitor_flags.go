package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/cais-project/cais/internal/engine"
	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/units"
)

// monitorFlags are the create/run flags the container's monitor acts on:
// --log-opt (json-file rotation) and the health check flags.
type monitorFlags struct {
	logOpts []string
}

// register adds the flags to f; containerFlags.register calls it.
func (m *monitorFlags) register(f *pflag.FlagSet) {
	f.StringArrayVar(&m.logOpts, "log-opt", nil, `json-file log option: "max-size=10m", "max-file=3" (repeatable)`)
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
	return nil
}
