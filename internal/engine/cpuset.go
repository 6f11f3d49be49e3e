package engine

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/cais-project/cais/internal/errdefs"
)

// parseCPUList parses a cpuset list ("0-3,5") into the CPUs it names.
func parseCPUList(s string) (map[int]bool, error) {
	cpus := map[int]bool{}
	for _, part := range strings.Split(strings.TrimSpace(s), ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return nil, fmt.Errorf("%q is not a CPU number", lo)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, fmt.Errorf("%q is not a CPU range", part)
			}
		}
		for i := a; i <= b && i-a < 1<<16; i++ {
			cpus[i] = true
		}
	}
	return cpus, nil
}

// checkCpuset refuses CPUs the host does not have online, as Docker does,
// before the runtime fails to write them to the cgroup.
func checkCpuset(s string) error {
	if s == "" {
		return nil
	}
	want, err := parseCPUList(s)
	if err != nil {
		return fmt.Errorf("invalid --cpuset-cpus %q: %v: %w", s, err, errdefs.ErrInvalidArgument)
	}
	b, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		return nil // nothing to check against; the runtime will say
	}
	online, err := parseCPUList(string(b))
	if err != nil {
		return nil
	}
	for c := range want {
		if !online[c] {
			return fmt.Errorf("invalid --cpuset-cpus %q: requested CPUs are not available - requested %s, available: %s: %w",
				s, s, strings.TrimSpace(string(b)), errdefs.ErrInvalidArgument)
		}
	}
	return nil
}
