package cgroups

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/runtime/cgroups/devices"
)

func (m *v2) Set(r *specs.LinuxResources) error {
	plan, err := planV2(m.dir, r)
	if err != nil {
		return err
	}
	if err := applyPlan(map[string]string{"": m.dir}, plan); err != nil {
		return err
	}
	if r == nil || len(r.Devices) == 0 {
		return nil
	}
	rules, err := devices.FromSpec(r.Devices)
	if err != nil {
		return fmt.Errorf("cgroups: %w", err)
	}
	if err := devices.Attach(m.dir, rules); err != nil {
		return fmt.Errorf("cgroups: linux.resources.devices: %w", err)
	}
	return nil
}

// v2Plan collects the writes for one Set in dir.
type v2Plan struct {
	dir    string
	writes []write
}

func (p *v2Plan) add(file, value string) {
	p.writes = append(p.writes, write{File: file, Value: value})
}

func unsupportedV2(field string) error {
	return fmt.Errorf("cgroups: %s is not supported on cgroup v2: %w", field, errdefs.ErrNotImplemented)
}

// planV2 returns the writes that apply r on v2, in order, except the
// device rules, which become an eBPF program. It reads a few files of dir
// (which weight file exists, the enabled controllers, memory.current when
// asked to check), so dir must exist.
func planV2(dir string, r *specs.LinuxResources) ([]write, error) {
	if r == nil {
		return nil, nil
	}
	p := &v2Plan{dir: dir}
	steps := []func() error{
		func() error { return p.memory(r.Memory) },
		func() error { return p.cpu(r.CPU) },
		func() error { return p.pids(r.Pids) },
		func() error { return p.io(r.BlockIO) },
		func() error { return p.hugetlb(r.HugepageLimits) },
		func() error { return p.network(r.Network) },
		func() error { return p.rdma(r.Rdma) },
		func() error { return p.devices(r.Devices) },
		func() error { return p.unified(r.Unified) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return p.writes, nil
}

// maxOr returns "max" for -1 and the number otherwise.
func maxOr(v int64) string {
	if v == -1 {
		return "max"
	}
	return strconv.FormatInt(v, 10)
}

// swapMax converts OCI swap (memory+swap, as v1's memsw) to
// memory.swap.max (swap alone). ok is false when nothing is to be written:
// swap unset or 0, as runc treats it.
func swapMax(limit, swap *int64) (value string, ok bool, err error) {
	const f = "linux.resources.memory.swap"
	if swap == nil || *swap == 0 {
		return "", false, nil
	}
	if *swap == -1 {
		return "max", true, nil
	}
	if *swap < -1 {
		return "", false, fmt.Errorf("cgroups: %s: %d is negative: %w", f, *swap, errdefs.ErrInvalidArgument)
	}
	if limit == nil || *limit <= 0 {
		return "", false, fmt.Errorf("cgroups: %s: a swap limit needs a memory limit: %w", f, errdefs.ErrInvalidArgument)
	}
	if *swap < *limit {
		return "", false, fmt.Errorf("cgroups: %s: %d is below the memory limit %d (swap counts memory+swap): %w", f, *swap, *limit, errdefs.ErrInvalidArgument)
	}
	return strconv.FormatInt(*swap-*limit, 10), true, nil
}

// memory plans memory.swap.max, memory.max and memory.low. Kernel memory
// limits are ignored; useHierarchy is always on in v2.
func (p *v2Plan) memory(mem *specs.LinuxMemory) error {
	if mem == nil {
		return nil
	}
	const f = "linux.resources.memory."
	if mem.Swappiness != nil {
		return unsupportedV2(f + "swappiness")
	}
	if mem.DisableOOMKiller != nil && *mem.DisableOOMKiller {
		return unsupportedV2(f + "disableOOMKiller")
	}
	if mem.Limit != nil && *mem.Limit < -1 {
		return fmt.Errorf("cgroups: %slimit: %d is negative: %w", f, *mem.Limit, errdefs.ErrInvalidArgument)
	}
	sw, ok, err := swapMax(mem.Limit, mem.Swap)
	if err != nil {
		return err
	}
	// Without swap accounting there is no memory.swap.max; "no limit" on
	// it is then already true.
	if ok && (sw != "max" || exists(p.dir, "memory.swap.max")) {
		p.add("memory.swap.max", sw)
	}
	if mem.Limit != nil {
		if mem.CheckBeforeUpdate != nil && *mem.CheckBeforeUpdate && *mem.Limit != -1 {
			cur, err := readUint(p.dir, "memory.current")
			if err != nil {
				return err
			}
			if cur > uint64(*mem.Limit) {
				return fmt.Errorf("cgroups: %slimit: %d is below the current usage %d (checkBeforeUpdate): %w", f, *mem.Limit, cur, errdefs.ErrConflict)
			}
		}
		p.add("memory.max", maxOr(*mem.Limit))
	}
	if mem.Reservation != nil {
		p.add("memory.low", maxOr(*mem.Reservation))
	}
	return nil
}

// cpuWeight converts cgroup v1 cpu.shares (2..262144, default 1024) to v2
// cpu.weight (1..10000, default 100) with the quadratic fit on a log scale
// that runc and crun adopted in 2025, which maps 2->1, 1024->100 and
// 262144->10000. The older linear formula (1 + (shares-2)*9999/262142)
// mapped the default 1024 to 39. 0 means unset.
func cpuWeight(shares uint64) uint64 {
	switch {
	case shares == 0:
		return 0
	case shares <= 2:
		return 1
	case shares >= 262144:
		return 10000
	}
	l := math.Log2(float64(shares))
	exponent := (l*l+125*l)/612.0 - 7.0/34.0
	// Round away float noise before taking the ceiling, so exact points
	// such as 1024 -> 100 stay exact.
	return uint64(math.Ceil(math.Round(math.Pow(10, exponent)*1e6) / 1e6))
}

// ioWeight converts a blkio weight (10..1000) to io.weight (1..10000),
// linearly, as runc does. 0 means unset.
func ioWeight(w uint16) uint64 {
	if w == 0 {
		return 0
	}
	return 1 + (uint64(w)-10)*9999/990
}

func (p *v2Plan) cpu(c *specs.LinuxCPU) error {
	if c == nil {
		return nil
	}
	const f = "linux.resources.cpu."
	// Zeros are unset, as in v1 (see setU).
	if setU(c.RealtimePeriod) || setI(c.RealtimeRuntime) {
		return unsupportedV2(f + "realtimePeriod/realtimeRuntime")
	}
	if c.Shares != nil {
		if *c.Shares != 0 && (*c.Shares < 2 || *c.Shares > 262144) {
			return fmt.Errorf("cgroups: %sshares: %d is outside 2..262144: %w", f, *c.Shares, errdefs.ErrInvalidArgument)
		}
		if w := cpuWeight(*c.Shares); w != 0 {
			p.add("cpu.weight", strconv.FormatUint(w, 10))
		}
	}
	if setI(c.Quota) || setU(c.Period) {
		v := "max"
		if c.Quota != nil && *c.Quota > 0 {
			v = strconv.FormatInt(*c.Quota, 10)
		}
		if c.Period != nil && *c.Period != 0 {
			v += " " + strconv.FormatUint(*c.Period, 10)
		}
		p.add("cpu.max", v)
	}
	if c.Burst != nil {
		p.add("cpu.max.burst", strconv.FormatUint(*c.Burst, 10))
	}
	if c.Idle != nil {
		p.add("cpu.idle", strconv.FormatInt(*c.Idle, 10))
	}
	if c.Cpus != "" {
		p.add("cpuset.cpus", c.Cpus)
	}
	if c.Mems != "" {
		p.add("cpuset.mems", c.Mems)
	}
	return nil
}

func (p *v2Plan) pids(pids *specs.LinuxPids) error {
	if pids != nil && pids.Limit != nil {
		p.add("pids.max", pidsValue(*pids.Limit))
	}
	return nil
}

// io plans the io controller. Weights go to io.bfq.weight as given when
// the BFQ scheduler provides that file, and to io.weight converted
// otherwise (runc's choice). Throttles become one io.max line per device.
func (p *v2Plan) io(b *specs.LinuxBlockIO) error {
	if b == nil {
		return nil
	}
	const f = "linux.resources.blockIO."
	if b.LeafWeight != nil {
		return unsupportedV2(f + "leafWeight")
	}
	bfq := exists(p.dir, "io.bfq.weight")
	weight := func(field string, w uint16) (string, string, error) {
		if w < 10 || w > 1000 {
			return "", "", fmt.Errorf("cgroups: %s: %d is outside 10..1000: %w", field, w, errdefs.ErrInvalidArgument)
		}
		if bfq {
			return "io.bfq.weight", strconv.FormatUint(uint64(w), 10), nil
		}
		return "io.weight", strconv.FormatUint(ioWeight(w), 10), nil
	}
	if b.Weight != nil && *b.Weight != 0 {
		file, v, err := weight(f+"weight", *b.Weight)
		if err != nil {
			return err
		}
		p.add(file, v)
	}
	for i, d := range b.WeightDevice {
		field := fmt.Sprintf("%sweightDevice[%d]", f, i)
		if d.LeafWeight != nil {
			return unsupportedV2(field + ".leafWeight")
		}
		if d.Weight == nil {
			continue
		}
		file, v, err := weight(field+".weight", *d.Weight)
		if err != nil {
			return err
		}
		p.add(file, fmt.Sprintf("%d:%d %s", d.Major, d.Minor, v))
	}
	for _, line := range ioMaxLines(b) {
		p.add("io.max", line)
	}
	return nil
}

// ioMaxLines groups the throttle lists by device, in order of first
// appearance: "8:0 rbps=1048576 wiops=max". A rate of 0 means no limit
// ("max"), as it does on v1.
func ioMaxLines(b *specs.LinuxBlockIO) []string {
	type dev struct{ major, minor int64 }
	var order []dev
	limits := map[dev][]string{}
	lists := []struct {
		key  string
		devs []specs.LinuxThrottleDevice
	}{
		{"rbps", b.ThrottleReadBpsDevice}, {"wbps", b.ThrottleWriteBpsDevice},
		{"riops", b.ThrottleReadIOPSDevice}, {"wiops", b.ThrottleWriteIOPSDevice},
	}
	for _, l := range lists {
		for _, d := range l.devs {
			k := dev{d.Major, d.Minor}
			if _, seen := limits[k]; !seen {
				order = append(order, k)
			}
			rate := "max"
			if d.Rate != 0 {
				rate = strconv.FormatUint(d.Rate, 10)
			}
			limits[k] = append(limits[k], l.key+"="+rate)
		}
	}
	lines := make([]string, 0, len(order))
	for _, k := range order {
		lines = append(lines, fmt.Sprintf("%d:%d %s", k.major, k.minor, strings.Join(limits[k], " ")))
	}
	return lines
}

// hugetlb plans hugetlb.<size>.max and, where the kernel has reservation
// accounting, hugetlb.<size>.rsvd.max first (the spec's default).
func (p *v2Plan) hugetlb(limits []specs.LinuxHugepageLimit) error {
	for i, l := range limits {
		if err := checkPageSize(fmt.Sprintf("linux.resources.hugepageLimits[%d]", i), l.Pagesize); err != nil {
			return err
		}
		v := strconv.FormatUint(l.Limit, 10)
		if rsvd := "hugetlb." + l.Pagesize + ".rsvd.max"; exists(p.dir, rsvd) {
			p.add(rsvd, v)
		}
		p.add("hugetlb."+l.Pagesize+".max", v)
	}
	return nil
}

func (p *v2Plan) network(n *specs.LinuxNetwork) error {
	if n != nil && (n.ClassID != nil || len(n.Priorities) > 0) {
		return fmt.Errorf("cgroups: linux.resources.network needs the net_cls/net_prio controllers, which cgroup v2 does not have: %w", errdefs.ErrUnavailable)
	}
	return nil
}

func (p *v2Plan) rdma(r map[string]specs.LinuxRdma) error {
	for _, dev := range sortedKeys(r) {
		if v := rdmaValue(dev, r[dev]); v != "" {
			p.add("rdma.max", v)
		}
	}
	return nil
}

// devices only checks the rules here; Set compiles them.
func (p *v2Plan) devices(rules []specs.LinuxDeviceCgroup) error {
	if _, err := devices.FromSpec(rules); err != nil {
		return fmt.Errorf("cgroups: %w", err)
	}
	return nil
}

// unified plans linux.resources.unified verbatim, last, so it overrides
// the typed fields. A key must be a file name ("memory.high") whose
// controller is enabled for the cgroup (or "cgroup.*").
func (p *v2Plan) unified(u map[string]string) error {
	if len(u) == 0 {
		return nil
	}
	avail, err := readFile(p.dir, "cgroup.controllers")
	if err != nil {
		return err
	}
	enabled := map[string]bool{"cgroup": true}
	for _, c := range strings.Fields(avail) {
		enabled[c] = true
	}
	for _, k := range sortedKeys(u) {
		field := "linux.resources.unified[" + strconv.Quote(k) + "]"
		if k == "" || strings.ContainsAny(k, "/\x00") || strings.Contains(k, "..") {
			return fmt.Errorf("cgroups: %s: not a cgroup file name: %w", field, errdefs.ErrInvalidArgument)
		}
		controller, _, ok := strings.Cut(k, ".")
		if !ok {
			return fmt.Errorf("cgroups: %s: not a <controller>.<file> name: %w", field, errdefs.ErrInvalidArgument)
		}
		if !enabled[controller] {
			return fmt.Errorf("cgroups: %s: the %s controller is not enabled for this cgroup: %w", field, controller, errdefs.ErrUnavailable)
		}
		p.add(k, u[k])
	}
	return nil
}
