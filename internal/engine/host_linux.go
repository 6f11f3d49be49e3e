package engine

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/engine/specgen"
	"github.com/cais-project/cais/internal/errdefs"
)

// capSysResource is CAP_SYS_RESOURCE's bit.
const capSysResource = 24

// rlimitResource gives the resource number the host checks for a
// --ulimit name.
func rlimitResource(name string) (int, bool) {
	switch name {
	case "as":
		return unix.RLIMIT_AS, true
	case "core":
		return unix.RLIMIT_CORE, true
	case "cpu":
		return unix.RLIMIT_CPU, true
	case "data":
		return unix.RLIMIT_DATA, true
	case "fsize":
		return unix.RLIMIT_FSIZE, true
	case "locks":
		return unix.RLIMIT_LOCKS, true
	case "memlock":
		return unix.RLIMIT_MEMLOCK, true
	case "msgqueue":
		return unix.RLIMIT_MSGQUEUE, true
	case "nice":
		return unix.RLIMIT_NICE, true
	case "nofile":
		return unix.RLIMIT_NOFILE, true
	case "nproc":
		return unix.RLIMIT_NPROC, true
	case "rss":
		return unix.RLIMIT_RSS, true
	case "rtprio":
		return unix.RLIMIT_RTPRIO, true
	case "rttime":
		return unix.RLIMIT_RTTIME, true
	case "sigpending":
		return unix.RLIMIT_SIGPENDING, true
	case "stack":
		return unix.RLIMIT_STACK, true
	}
	return 0, false
}

// checkUlimits refuses a hard limit above this process's own when it lacks
// CAP_SYS_RESOURCE: the runtime could not raise it either, and would fail
// only once the container half exists. The syntax is specgen's to check.
func checkUlimits(ulimits []string) error {
	if len(ulimits) == 0 || hasCap(capSysResource) {
		return nil
	}
	for _, u := range ulimits {
		name, val, _ := strings.Cut(u, "=")
		res, ok := rlimitResource(name)
		if !ok {
			continue
		}
		_, hardS, hasHard := strings.Cut(val, ":")
		if !hasHard {
			hardS = val
		}
		hard, err := strconv.ParseUint(hardS, 10, 64)
		if hardS == "-1" || hardS == "unlimited" {
			hard, err = ^uint64(0), nil
		}
		if err != nil {
			continue
		}
		var cur unix.Rlimit
		if unix.Getrlimit(res, &cur) == nil && hard > cur.Max {
			return fmt.Errorf("invalid --ulimit %q: the hard limit is above this host's %d and cais lacks CAP_SYS_RESOURCE to raise it: %w",
				u, cur.Max, errdefs.ErrInvalidArgument)
		}
	}
	return nil
}

// hasCap reports whether this process has capability bit in its
// effective set.
func hasCap(bit uint) bool {
	m, ok := capMask("CapEff")
	return ok && m&(1<<bit) != 0
}

// capMask reads one capability set ("CapEff", "CapBnd") of this process.
func capMask(set string) (uint64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, set+":"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// hostCaps are the capabilities cais can grant a container: its bounding
// set (nil when it cannot be read: no limit is applied then).
func hostCaps() []string {
	if m, ok := capMask("CapBnd"); ok {
		return specgen.CapsFromMask(m)
	}
	return nil
}
