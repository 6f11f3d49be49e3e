package caps

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/errdefs"
)

// byName maps every capability name Linux defines (as OCI configs spell it)
// to its number.
var byName = map[string]int{
	"CAP_CHOWN":              unix.CAP_CHOWN,
	"CAP_DAC_OVERRIDE":       unix.CAP_DAC_OVERRIDE,
	"CAP_DAC_READ_SEARCH":    unix.CAP_DAC_READ_SEARCH,
	"CAP_FOWNER":             unix.CAP_FOWNER,
	"CAP_FSETID":             unix.CAP_FSETID,
	"CAP_KILL":               unix.CAP_KILL,
	"CAP_SETGID":             unix.CAP_SETGID,
	"CAP_SETUID":             unix.CAP_SETUID,
	"CAP_SETPCAP":            unix.CAP_SETPCAP,
	"CAP_LINUX_IMMUTABLE":    unix.CAP_LINUX_IMMUTABLE,
	"CAP_NET_BIND_SERVICE":   unix.CAP_NET_BIND_SERVICE,
	"CAP_NET_BROADCAST":      unix.CAP_NET_BROADCAST,
	"CAP_NET_ADMIN":          unix.CAP_NET_ADMIN,
	"CAP_NET_RAW":            unix.CAP_NET_RAW,
	"CAP_IPC_LOCK":           unix.CAP_IPC_LOCK,
	"CAP_IPC_OWNER":          unix.CAP_IPC_OWNER,
	"CAP_SYS_MODULE":         unix.CAP_SYS_MODULE,
	"CAP_SYS_RAWIO":          unix.CAP_SYS_RAWIO,
	"CAP_SYS_CHROOT":         unix.CAP_SYS_CHROOT,
	"CAP_SYS_PTRACE":         unix.CAP_SYS_PTRACE,
	"CAP_SYS_PACCT":          unix.CAP_SYS_PACCT,
	"CAP_SYS_ADMIN":          unix.CAP_SYS_ADMIN,
	"CAP_SYS_BOOT":           unix.CAP_SYS_BOOT,
	"CAP_SYS_NICE":           unix.CAP_SYS_NICE,
	"CAP_SYS_RESOURCE":       unix.CAP_SYS_RESOURCE,
	"CAP_SYS_TIME":           unix.CAP_SYS_TIME,
	"CAP_SYS_TTY_CONFIG":     unix.CAP_SYS_TTY_CONFIG,
	"CAP_MKNOD":              unix.CAP_MKNOD,
	"CAP_LEASE":              unix.CAP_LEASE,
	"CAP_AUDIT_WRITE":        unix.CAP_AUDIT_WRITE,
	"CAP_AUDIT_CONTROL":      unix.CAP_AUDIT_CONTROL,
	"CAP_SETFCAP":            unix.CAP_SETFCAP,
	"CAP_MAC_OVERRIDE":       unix.CAP_MAC_OVERRIDE,
	"CAP_MAC_ADMIN":          unix.CAP_MAC_ADMIN,
	"CAP_SYSLOG":             unix.CAP_SYSLOG,
	"CAP_WAKE_ALARM":         unix.CAP_WAKE_ALARM,
	"CAP_BLOCK_SUSPEND":      unix.CAP_BLOCK_SUSPEND,
	"CAP_AUDIT_READ":         unix.CAP_AUDIT_READ,
	"CAP_PERFMON":            unix.CAP_PERFMON,
	"CAP_BPF":                unix.CAP_BPF,
	"CAP_CHECKPOINT_RESTORE": unix.CAP_CHECKPOINT_RESTORE,
}

// Set is the parsed, validated capability configuration of one process: a
// bit mask per set (bit n is capability n). Only Parse makes one. A Set is
// immutable and safe to share; applying it is not (see the package comment
// about threads).
type Set struct {
	bounding, effective, permitted, inheritable, ambient uint64
	// lastCap is the highest capability number the kernel knows.
	lastCap int
}

// Parse validates the five capability sets of an OCI config (names like
// "CAP_NET_ADMIN"). A name that is no Linux capability is an error of class
// errdefs.ErrInvalidArgument naming the set and the name. A capability the
// running kernel does not know (above its CAP_LAST_CAP) is
// dropped, and a warning saying so is returned for the caller to log: runc
// tolerates such names the same way, so configs written for newer kernels
// still run on older ones.
//
// A nil c yields a Set with every set empty: a process gets no capability
// the config does not list.
func Parse(c *specs.LinuxCapabilities) (*Set, []string, error) {
	last, err := kernelLastCap()
	if err != nil {
		return nil, nil, err
	}
	return parse(c, last)
}

func parse(c *specs.LinuxCapabilities, last int) (*Set, []string, error) {
	s := &Set{lastCap: last}
	if c == nil {
		return s, nil, nil
	}
	var warnings []string
	sets := []struct {
		name  string
		names []string
		mask  *uint64
	}{
		{"bounding", c.Bounding, &s.bounding},
		{"effective", c.Effective, &s.effective},
		{"permitted", c.Permitted, &s.permitted},
		{"inheritable", c.Inheritable, &s.inheritable},
		{"ambient", c.Ambient, &s.ambient},
	}
	for _, set := range sets {
		for _, name := range set.names {
			n, ok := byName[name]
			if !ok {
				return nil, nil, fmt.Errorf("process.capabilities.%s: unknown capability %q: %w", set.name, name, errdefs.ErrInvalidArgument)
			}
			if n > last {
				warnings = append(warnings, fmt.Sprintf("process.capabilities.%s: ignoring %s, unknown to the running kernel (its last capability is %d)", set.name, name, last))
				continue
			}
			*set.mask |= 1 << uint(n)
		}
	}
	return s, warnings, nil
}

// Masks returns the five sets as bit masks (bit n is capability n), for the
// C init, which applies them itself.
func (s *Set) Masks() (bounding, effective, permitted, inheritable, ambient uint64) {
	return s.bounding, s.effective, s.permitted, s.inheritable, s.ambient
}

// LastCap is the highest capability number the running kernel knows.
func (s *Set) LastCap() int { return s.lastCap }
