package specgen

import (
	"fmt"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/cais-project/cais/internal/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// cpuPeriod is the CFS period Docker uses with --cpus, in microseconds.
const cpuPeriod = 100000

func i64(v int64) *int64 { return &v }

// defaultDeviceRules are the device cgroup rules of an unprivileged
// container: deny everything, then allow mknod of any node and use of the
// devices every container gets (null, zero, full, random, urandom, tty,
// console, ptmx, the ptys and tun).
var defaultDeviceRules = []specs.LinuxDeviceCgroup{
	{Allow: false, Access: "rwm"},
	{Allow: true, Type: "c", Access: "m"},
	{Allow: true, Type: "b", Access: "m"},
	devRule("c", 1, 3), // /dev/null
	devRule("c", 1, 5), // /dev/zero
	devRule("c", 1, 7), // /dev/full
	devRule("c", 1, 8), // /dev/random
	devRule("c", 1, 9), // /dev/urandom
	devRule("c", 5, 0), // /dev/tty
	devRule("c", 5, 1), // /dev/console
	devRule("c", 5, 2), // /dev/ptmx
	{Allow: true, Type: "c", Major: i64(136), Access: "rwm"}, // /dev/pts/*
	devRule("c", 10, 200), // /dev/net/tun
}

func devRule(typ string, major, minor int64) specs.LinuxDeviceCgroup {
	return specs.LinuxDeviceCgroup{Allow: true, Type: typ, Major: i64(major), Minor: i64(minor), Access: "rwm"}
}

// resources returns the cgroup limits and device rules, and the device
// nodes --device adds.
func resources(o Options) (*specs.LinuxResources, []specs.LinuxDevice, error) {
	r := &specs.LinuxResources{}
	if o.Privileged {
		r.Devices = []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}
	} else {
		for _, d := range defaultDeviceRules {
			d.Major, d.Minor = clonePtr(d.Major), clonePtr(d.Minor)
			r.Devices = append(r.Devices, d)
		}
	}
	var devs []specs.LinuxDevice
	for _, spec := range o.Devices {
		d, rule, err := parseDevice(spec)
		if err != nil {
			return nil, nil, err
		}
		devs = append(devs, d)
		if !o.Privileged {
			r.Devices = append(r.Devices, rule)
		}
	}

	if o.Memory < 0 || (o.MemorySwap < -1) || o.NanoCPUs < 0 || o.CPUShares < 0 || o.PidsLimit < -1 {
		return nil, nil, fmt.Errorf("negative resource limit: %w", errdefs.ErrInvalidArgument)
	}
	if o.Memory > 0 || o.MemorySwap != 0 {
		if o.MemorySwap != 0 && o.Memory == 0 {
			return nil, nil, fmt.Errorf("--memory-swap needs --memory: %w", errdefs.ErrInvalidArgument)
		}
		swap := o.MemorySwap
		if swap == 0 {
			swap = 2 * o.Memory
		}
		if swap > 0 && swap < o.Memory {
			return nil, nil, fmt.Errorf("--memory-swap %d is below the --memory limit %d: %w", swap, o.Memory, errdefs.ErrInvalidArgument)
		}
		r.Memory = &specs.LinuxMemory{Limit: i64(o.Memory), Swap: i64(swap)}
	}
	if o.NanoCPUs > 0 || o.CPUShares > 0 || o.CpusetCpus != "" {
		r.CPU = &specs.LinuxCPU{Cpus: o.CpusetCpus}
		if o.NanoCPUs > 0 {
			period := uint64(cpuPeriod)
			r.CPU.Period = &period
			r.CPU.Quota = i64(o.NanoCPUs * cpuPeriod / 1e9)
		}
		if o.CPUShares > 0 {
			shares := uint64(o.CPUShares)
			r.CPU.Shares = &shares
		}
	}
	if o.PidsLimit != 0 {
		r.Pids = &specs.LinuxPids{Limit: i64(o.PidsLimit)}
	}
	if o.BlkioWeight != 0 {
		if o.BlkioWeight < 10 || o.BlkioWeight > 1000 {
			return nil, nil, fmt.Errorf("invalid --blkio-weight %d: must be 10 to 1000: %w", o.BlkioWeight, errdefs.ErrInvalidArgument)
		}
		w := o.BlkioWeight
		r.BlockIO = &specs.LinuxBlockIO{Weight: &w}
	}
	return r, devs, nil
}

func clonePtr(p *int64) *int64 {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// parseDevice parses "/dev/host[:/dev/container][:perms]" and stats the
// host node for its type and numbers.
func parseDevice(spec string) (specs.LinuxDevice, specs.LinuxDeviceCgroup, error) {
	bad := func(why string) error {
		return fmt.Errorf("invalid --device %q: %s: %w", spec, why, errdefs.ErrInvalidArgument)
	}
	parts := strings.Split(spec, ":")
	host, dest, perms := parts[0], parts[0], "rwm"
	switch len(parts) {
	case 1:
	case 2:
		if validPerms(parts[1]) {
			perms = parts[1]
		} else {
			dest = parts[1]
		}
	case 3:
		dest, perms = parts[1], parts[2]
		if !validPerms(perms) {
			return specs.LinuxDevice{}, specs.LinuxDeviceCgroup{}, bad("permissions must be a combination of r, w and m")
		}
	default:
		return specs.LinuxDevice{}, specs.LinuxDeviceCgroup{}, bad("too many colons")
	}
	if !path.IsAbs(host) || !path.IsAbs(dest) {
		return specs.LinuxDevice{}, specs.LinuxDeviceCgroup{}, bad("paths must be absolute")
	}
	fi, err := os.Stat(host)
	if err != nil {
		return specs.LinuxDevice{}, specs.LinuxDeviceCgroup{}, fmt.Errorf("invalid --device %q: %w", spec, errInvalid(err))
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	var typ string
	switch {
	case !ok:
		return specs.LinuxDevice{}, specs.LinuxDeviceCgroup{}, bad("cannot stat")
	case fi.Mode()&os.ModeCharDevice != 0:
		typ = "c"
	case fi.Mode()&os.ModeDevice != 0:
		typ = "b"
	default:
		return specs.LinuxDevice{}, specs.LinuxDeviceCgroup{}, bad("not a device node")
	}
	major, minor := int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	mode := fi.Mode().Perm()
	uid, gid := st.Uid, st.Gid
	d := specs.LinuxDevice{Path: path.Clean(dest), Type: typ, Major: major, Minor: minor, FileMode: &mode, UID: &uid, GID: &gid}
	rule := specs.LinuxDeviceCgroup{Allow: true, Type: typ, Major: i64(major), Minor: i64(minor), Access: perms}
	return d, rule, nil
}

func validPerms(p string) bool {
	if p == "" || len(p) > 3 {
		return false
	}
	for _, c := range p {
		if !strings.ContainsRune("rwm", c) || strings.Count(p, string(c)) > 1 {
			return false
		}
	}
	return true
}

// rlimitNames are the names --ulimit accepts.
var rlimitNames = []string{"as", "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack"}

// rlimits parses --ulimit values "name=soft[:hard]" (hard defaults to soft).
func rlimits(ulimits []string) ([]specs.POSIXRlimit, error) {
	var out []specs.POSIXRlimit
	seen := map[string]int{}
	for _, u := range ulimits {
		bad := func(why string) error {
			return fmt.Errorf("invalid --ulimit %q: %s: %w", u, why, errdefs.ErrInvalidArgument)
		}
		name, val, ok := strings.Cut(u, "=")
		if !ok {
			return nil, bad("want name=soft[:hard]")
		}
		if !slices.Contains(rlimitNames, name) {
			return nil, bad("unknown resource " + strconv.Quote(name))
		}
		softS, hardS, hasHard := strings.Cut(val, ":")
		soft, err := parseLimit(softS)
		if err != nil {
			return nil, bad("soft limit is not a number")
		}
		hard := soft
		if hasHard {
			if hard, err = parseLimit(hardS); err != nil {
				return nil, bad("hard limit is not a number")
			}
		}
		if soft > hard {
			return nil, bad("soft limit is above the hard limit")
		}
		rl := specs.POSIXRlimit{Type: "RLIMIT_" + strings.ToUpper(name), Soft: soft, Hard: hard}
		if i, dup := seen[name]; dup {
			out[i] = rl // the last value wins, as Docker's option parser does
			continue
		}
		seen[name] = len(out)
		out = append(out, rl)
	}
	return out, nil
}

// parseLimit parses a limit; -1 means unlimited.
func parseLimit(s string) (uint64, error) {
	if s == "-1" || s == "unlimited" {
		return ^uint64(0), nil
	}
	return strconv.ParseUint(s, 10, 64)
}

// errInvalid classifies err as errdefs.ErrInvalidArgument, keeping its text.
func errInvalid(err error) error {
	return fmt.Errorf("%v: %w", err, errdefs.ErrInvalidArgument)
}
