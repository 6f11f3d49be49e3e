package process

import (
	"fmt"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/errdefs"
)

var rlimits = map[string]int{
	"RLIMIT_CPU": unix.RLIMIT_CPU, "RLIMIT_FSIZE": unix.RLIMIT_FSIZE, "RLIMIT_DATA": unix.RLIMIT_DATA,
	"RLIMIT_STACK": unix.RLIMIT_STACK, "RLIMIT_CORE": unix.RLIMIT_CORE, "RLIMIT_RSS": unix.RLIMIT_RSS,
	"RLIMIT_NPROC": unix.RLIMIT_NPROC, "RLIMIT_NOFILE": unix.RLIMIT_NOFILE, "RLIMIT_MEMLOCK": unix.RLIMIT_MEMLOCK,
	"RLIMIT_AS": unix.RLIMIT_AS, "RLIMIT_LOCKS": unix.RLIMIT_LOCKS, "RLIMIT_SIGPENDING": unix.RLIMIT_SIGPENDING,
	"RLIMIT_MSGQUEUE": unix.RLIMIT_MSGQUEUE, "RLIMIT_NICE": unix.RLIMIT_NICE, "RLIMIT_RTPRIO": unix.RLIMIT_RTPRIO,
	"RLIMIT_RTTIME": unix.RLIMIT_RTTIME,
}

// CheckRlimits validates process.rlimits.
func CheckRlimits(rs []specs.POSIXRlimit) error {
	seen := map[string]bool{}
	for i, r := range rs {
		if _, ok := rlimits[r.Type]; !ok {
			return fmt.Errorf("process.rlimits[%d].type %q: unknown rlimit: %w", i, r.Type, errdefs.ErrInvalidArgument)
		}
		if seen[r.Type] {
			return fmt.Errorf("process.rlimits[%d]: %s given twice: %w", i, r.Type, errdefs.ErrInvalidArgument)
		}
		seen[r.Type] = true
		if r.Soft > r.Hard {
			return fmt.Errorf("process.rlimits[%d] %s: soft limit %d is above the hard limit %d: %w", i, r.Type, r.Soft, r.Hard, errdefs.ErrInvalidArgument)
		}
	}
	return nil
}

// SetRlimits applies process.rlimits to the calling process.
func SetRlimits(rs []specs.POSIXRlimit) error {
	for _, r := range rs {
		lim := unix.Rlimit{Cur: r.Soft, Max: r.Hard}
		if err := unix.Prlimit(0, rlimits[r.Type], &lim, nil); err != nil {
			return fmt.Errorf("setting %s to %d/%d: %w", r.Type, r.Soft, r.Hard, err)
		}
	}
	return nil
}

// RlimitNumber returns the resource number of an rlimit type
// ("RLIMIT_NOFILE"), for the C init.
func RlimitNumber(typ string) (int, bool) {
	n, ok := rlimits[typ]
	return n, ok
}
