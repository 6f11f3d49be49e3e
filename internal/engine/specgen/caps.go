package specgen

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cais-project/cais/internal/errdefs"
)

// defaultCaps is the capability set Docker (20.10 and later) grants a
// container that asks for nothing else.
var defaultCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
	"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

// allCaps lists every capability Linux knows up to CAP_CHECKPOINT_RESTORE
// (40, Linux 5.9), in number order. "ALL" and privileged containers get
// these; a kernel older than 5.9 would refuse the newest ones.
var allCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
	"CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
}

// normalizeCap turns "net_admin", "NET_ADMIN" or "CAP_NET_ADMIN" into
// "CAP_NET_ADMIN"; "all" becomes "ALL".
func normalizeCap(name string) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(name))
	if c == "ALL" {
		return c, nil
	}
	if !strings.HasPrefix(c, "CAP_") {
		c = "CAP_" + c
	}
	if !slices.Contains(allCaps, c) {
		return "", fmt.Errorf("unknown capability %q (--cap-add, --cap-drop): %w", name, errdefs.ErrInvalidArgument)
	}
	return c, nil
}

// capabilities computes the container's capability set as Docker does: a
// privileged container gets all; otherwise the defaults, emptied by
// --cap-drop ALL or less the dropped ones, then all of them with --cap-add
// ALL or plus the added ones. The result is in allCaps order.
//
// host, when not nil, are the capabilities the caller can grant (its own
// bounding set): "all" means all of those, and asking for another one by
// name is an error rather than a runtime that fails to apply it.
func capabilities(privileged bool, add, drop, host []string) ([]string, error) {
	adds, err := normalizeCaps(add)
	if err != nil {
		return nil, err
	}
	drops, err := normalizeCaps(drop)
	if err != nil {
		return nil, err
	}
	all := allCaps
	if host != nil {
		all = slices.DeleteFunc(slices.Clone(allCaps), func(c string) bool { return !slices.Contains(host, c) })
		for _, c := range adds {
			if c != "ALL" && !slices.Contains(host, c) {
				return nil, fmt.Errorf("--cap-add %s: cais itself does not hold this capability, so it cannot grant it: %w", c, errdefs.ErrInvalidArgument)
			}
		}
	}
	if privileged {
		return slices.Clone(all), nil
	}
	set := map[string]bool{}
	if !slices.Contains(drops, "ALL") {
		for _, c := range defaultCaps {
			set[c] = true
		}
		for _, c := range drops {
			delete(set, c)
		}
	}
	if slices.Contains(adds, "ALL") {
		for _, c := range all {
			set[c] = !slices.Contains(drops, c)
		}
	} else {
		for _, c := range adds {
			set[c] = true
		}
	}
	var caps []string
	for _, c := range all {
		if set[c] {
			caps = append(caps, c)
		}
	}
	return caps, nil
}

func normalizeCaps(names []string) ([]string, error) {
	var out []string
	for _, n := range names {
		c, err := normalizeCap(n)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// CapsFromMask names the capabilities whose bits are set in mask (as in
// /proc/PID/status), of those allCaps lists.
func CapsFromMask(mask uint64) []string {
	caps := []string{}
	for i, c := range allCaps {
		if mask&(1<<i) != 0 {
			caps = append(caps, c)
		}
	}
	return caps
}
