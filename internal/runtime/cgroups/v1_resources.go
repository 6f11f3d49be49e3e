package cgroups

import (
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/runtime/cgroups/devices"
)

func (m *v1) Set(r *specs.LinuxResources) error {
	plan, err := planV1(m.paths, r)
	if err != nil {
		return err
	}
	return applyPlan(m.paths, plan)
}

// applyPlan performs the writes in order; dirs maps a write's Controller
// to its directory.
func applyPlan(dirs map[string]string, plan []write) error {
	for _, w := range plan {
		if err := writeFile(dirs[w.Controller], w.File, w.Value); err != nil {
			return err
		}
	}
	return nil
}

// v1Plan collects the writes for one Set.
type v1Plan struct {
	paths  map[string]string
	writes []write
}

// add plans value for file in controller's dir, or fails naming the OCI
// field if the controller is not mounted.
func (p *v1Plan) add(field, controller, file, value string) error {
	if _, ok := p.paths[controller]; !ok {
		return fmt.Errorf("cgroups: %s needs the %s controller, which is not mounted: %w", field, controller, errdefs.ErrUnavailable)
	}
	p.writes = append(p.writes, write{Controller: controller, File: file, Value: value})
	return nil
}

// planV1 returns the writes that apply r on v1, in order. It reads the
// current memory limits (to order memory and memsw writes) and which
// blkio weight files exist, so the directories must exist.
func planV1(paths map[string]string, r *specs.LinuxResources) ([]write, error) {
	if r == nil {
		return nil, nil
	}
	if len(r.Unified) > 0 {
		return nil, fmt.Errorf("cgroups: linux.resources.unified needs cgroup v2, this host uses v1: %w", errdefs.ErrInvalidArgument)
	}
	p := &v1Plan{paths: paths}
	steps := []func() error{
		func() error { return p.memory(r.Memory) },
		func() error { return p.cpu(r.CPU) },
		func() error { return p.pids(r.Pids) },
		func() error { return p.blkio(r.BlockIO) },
		func() error { return p.hugetlb(r.HugepageLimits) },
		func() error { return p.network(r.Network) },
		func() error { return p.rdma(r.Rdma) },
		func() error { return p.devices(r.Devices) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return p.writes, nil
}

const memswFile = "memory.memsw.limit_in_bytes"

// memory plans the memory controller. Kernel memory limits (kernel,
// kernelTCP) are deprecated and ignored, as current runc does.
func (p *v1Plan) memory(mem *specs.LinuxMemory) error {
	if mem == nil {
		return nil
	}
	const f = "linux.resources.memory."
	if err := p.memoryAndSwap(nonZero(mem.Limit), nonZero(mem.Swap)); err != nil {
		return err
	}
	if setI(mem.Reservation) {
		if err := p.add(f+"reservation", "memory", "memory.soft_limit_in_bytes", strconv.FormatInt(*mem.Reservation, 10)); err != nil {
			return err
		}
	}
	if mem.Swappiness != nil {
		if *mem.Swappiness > 100 {
			return fmt.Errorf("cgroups: %sswappiness: %d is above 100: %w", f, *mem.Swappiness, errdefs.ErrInvalidArgument)
		}
		if err := p.add(f+"swappiness", "memory", "memory.swappiness", strconv.FormatUint(*mem.Swappiness, 10)); err != nil {
			return err
		}
	}
	if mem.DisableOOMKiller != nil {
		if err := p.add(f+"disableOOMKiller", "memory", "memory.oom_control", boolValue(*mem.DisableOOMKiller)); err != nil {
			return err
		}
	}
	if mem.UseHierarchy != nil {
		if err := p.add(f+"useHierarchy", "memory", "memory.use_hierarchy", boolValue(*mem.UseHierarchy)); err != nil {
			return err
		}
	}
	return nil
}

// memoryAndSwap plans memory.limit_in_bytes and memsw (OCI swap is
// memory+swap, as memsw is). The kernel keeps limit <= memsw at all times,
// so memory goes first when the new limit fits under the current memsw and
// memsw goes first otherwise. Lifting the memory limit (-1) without a swap
// value also lifts memsw, or the write would be refused.
func (p *v1Plan) memoryAndSwap(limit, swap *int64) error {
	const f = "linux.resources.memory."
	if limit != nil && swap != nil && *limit > 0 && *swap > 0 && *swap < *limit {
		return fmt.Errorf("cgroups: %sswap: %d is below the memory limit %d (swap counts memory+swap): %w", f, *swap, *limit, errdefs.ErrInvalidArgument)
	}
	dir, ok := p.paths["memory"]
	if ok && limit != nil && *limit == -1 && swap == nil && exists(dir, memswFile) {
		v := int64(-1)
		swap = &v
	}
	swapFirst := false
	if limit != nil && swap != nil && ok {
		cur, err := readFile(dir, memswFile)
		if err != nil {
			return fmt.Errorf("%w (%sswap needs swap accounting)", err, f)
		}
		curSw, err := strconv.ParseInt(cur, 10, 64)
		if err != nil {
			// The kernel prints "no limit" as a huge unsigned number.
			curSw = -1
		}
		swapFirst = curSw != -1 && (*limit == -1 || *limit > curSw)
	}
	memWrite := func() error {
		if limit == nil {
			return nil
		}
		return p.add(f+"limit", "memory", "memory.limit_in_bytes", strconv.FormatInt(*limit, 10))
	}
	swapWrite := func() error {
		if swap == nil {
			return nil
		}
		return p.add(f+"swap", "memory", memswFile, strconv.FormatInt(*swap, 10))
	}
	order := []func() error{memWrite, swapWrite}
	if swapFirst {
		order = []func() error{swapWrite, memWrite}
	}
	for _, w := range order {
		if err := w(); err != nil {
			return err
		}
	}
	return nil
}

func boolValue(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// cpu plans the cpu and cpuset controllers. The CFS period goes before
// the quota and the quota before the burst; the RT period before the
// runtime.
func (p *v1Plan) cpu(c *specs.LinuxCPU) error {
	if c == nil {
		return nil
	}
	const f = "linux.resources.cpu."
	type item struct {
		field, controller, file string
		set                     bool
		value                   string
	}
	items := []item{
		{"shares", "cpu", "cpu.shares", setU(c.Shares), fmtUint(c.Shares)},
		{"period", "cpu", "cpu.cfs_period_us", setU(c.Period), fmtUint(c.Period)},
		{"quota", "cpu", "cpu.cfs_quota_us", setI(c.Quota), fmtInt(c.Quota)},
		{"burst", "cpu", "cpu.cfs_burst_us", c.Burst != nil, fmtUint(c.Burst)},
		{"realtimePeriod", "cpu", "cpu.rt_period_us", setU(c.RealtimePeriod), fmtUint(c.RealtimePeriod)},
		{"realtimeRuntime", "cpu", "cpu.rt_runtime_us", setI(c.RealtimeRuntime), fmtInt(c.RealtimeRuntime)},
		{"idle", "cpu", "cpu.idle", c.Idle != nil, fmtInt(c.Idle)},
		{"cpus", "cpuset", "cpuset.cpus", c.Cpus != "", c.Cpus},
		{"mems", "cpuset", "cpuset.mems", c.Mems != "", c.Mems},
	}
	for _, it := range items {
		if !it.set {
			continue
		}
		if err := p.add(f+it.field, it.controller, it.file, it.value); err != nil {
			return err
		}
	}
	return nil
}

// setU and setI say whether a numeric resource is set. As in runc, a zero
// value means "leave the kernel's value": Docker and containerd send zeros
// for every field they do not set (shares, CFS period and quota, memory
// limits on docker update), and writing them would fail (period, quota) or
// silently change the limit (shares clamp to 2, a memory limit of 0).
func setU(v *uint64) bool { return v != nil && *v != 0 }
func setI(v *int64) bool  { return v != nil && *v != 0 }

// nonZero returns v, or nil when v points to zero.
func nonZero(v *int64) *int64 {
	if setI(v) {
		return v
	}
	return nil
}

func fmtUint(v *uint64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatUint(*v, 10)
}

func fmtInt(v *int64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatInt(*v, 10)
}

// pidsValue is the pids.max value of an OCI limit: 0 or less is no limit.
func pidsValue(limit int64) string {
	if limit <= 0 {
		return "max"
	}
	return strconv.FormatInt(limit, 10)
}

func (p *v1Plan) pids(pids *specs.LinuxPids) error {
	if pids == nil || pids.Limit == nil {
		return nil
	}
	return p.add("linux.resources.pids.limit", "pids", "pids.max", pidsValue(*pids.Limit))
}

// blkio plans the blkio controller. The proportional weight lives in
// blkio.weight (CFQ) or blkio.bfq.weight (BFQ), whichever the kernel has.
func (p *v1Plan) blkio(b *specs.LinuxBlockIO) error {
	if b == nil {
		return nil
	}
	const f = "linux.resources.blockIO."
	weightFile, weightDevFile := "blkio.weight", "blkio.weight_device"
	if dir, ok := p.paths["blkio"]; ok && !exists(dir, weightFile) && exists(dir, "blkio.bfq.weight") {
		weightFile, weightDevFile = "blkio.bfq.weight", "blkio.bfq.weight_device"
	}
	// Weight 0 means "unset", as in runc: Docker sends it for every
	// container, and the kernel rejects it (ERANGE).
	if b.Weight != nil && *b.Weight != 0 {
		if err := p.add(f+"weight", "blkio", weightFile, strconv.FormatUint(uint64(*b.Weight), 10)); err != nil {
			return err
		}
	}
	if b.LeafWeight != nil && *b.LeafWeight != 0 {
		if err := p.add(f+"leafWeight", "blkio", "blkio.leaf_weight", strconv.FormatUint(uint64(*b.LeafWeight), 10)); err != nil {
			return err
		}
	}
	for i, d := range b.WeightDevice {
		field := fmt.Sprintf("%sweightDevice[%d]", f, i)
		if d.Weight != nil {
			if err := p.add(field, "blkio", weightDevFile, fmt.Sprintf("%d:%d %d", d.Major, d.Minor, *d.Weight)); err != nil {
				return err
			}
		}
		if d.LeafWeight != nil {
			if err := p.add(field, "blkio", "blkio.leaf_weight_device", fmt.Sprintf("%d:%d %d", d.Major, d.Minor, *d.LeafWeight)); err != nil {
				return err
			}
		}
	}
	throttles := []struct {
		field, file string
		devs        []specs.LinuxThrottleDevice
	}{
		{"throttleReadBpsDevice", "blkio.throttle.read_bps_device", b.ThrottleReadBpsDevice},
		{"throttleWriteBpsDevice", "blkio.throttle.write_bps_device", b.ThrottleWriteBpsDevice},
		{"throttleReadIOPSDevice", "blkio.throttle.read_iops_device", b.ThrottleReadIOPSDevice},
		{"throttleWriteIOPSDevice", "blkio.throttle.write_iops_device", b.ThrottleWriteIOPSDevice},
	}
	for _, t := range throttles {
		for i, d := range t.devs {
			if err := p.add(fmt.Sprintf("%s%s[%d]", f, t.field, i), "blkio", t.file, fmt.Sprintf("%d:%d %d", d.Major, d.Minor, d.Rate)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *v1Plan) hugetlb(limits []specs.LinuxHugepageLimit) error {
	for i, l := range limits {
		field := fmt.Sprintf("linux.resources.hugepageLimits[%d]", i)
		if err := checkPageSize(field, l.Pagesize); err != nil {
			return err
		}
		if err := p.add(field, "hugetlb", "hugetlb."+l.Pagesize+".limit_in_bytes", strconv.FormatUint(l.Limit, 10)); err != nil {
			return err
		}
	}
	return nil
}

// checkPageSize refuses page sizes that would name another file.
func checkPageSize(field, size string) error {
	if size == "" || strings.ContainsAny(size, "/.\x00 \n") {
		return fmt.Errorf("cgroups: %s.pageSize: %q is not a page size like \"2MB\": %w", field, size, errdefs.ErrInvalidArgument)
	}
	return nil
}

func (p *v1Plan) network(n *specs.LinuxNetwork) error {
	if n == nil {
		return nil
	}
	if n.ClassID != nil {
		if err := p.add("linux.resources.network.classID", "net_cls", "net_cls.classid", strconv.FormatUint(uint64(*n.ClassID), 10)); err != nil {
			return err
		}
	}
	for i, prio := range n.Priorities {
		if err := p.add(fmt.Sprintf("linux.resources.network.priorities[%d]", i), "net_prio", "net_prio.ifpriomap", fmt.Sprintf("%s %d", prio.Name, prio.Priority)); err != nil {
			return err
		}
	}
	return nil
}

func (p *v1Plan) rdma(r map[string]specs.LinuxRdma) error {
	for _, dev := range sortedKeys(r) {
		if v := rdmaValue(dev, r[dev]); v != "" {
			if err := p.add("linux.resources.rdma."+dev, "rdma", "rdma.max", v); err != nil {
				return err
			}
		}
	}
	return nil
}

// rdmaValue is the rdma.max line for one device ("" if nothing is set).
func rdmaValue(dev string, l specs.LinuxRdma) string {
	v := dev
	if l.HcaHandles != nil {
		v += fmt.Sprintf(" hca_handle=%d", *l.HcaHandles)
	}
	if l.HcaObjects != nil {
		v += fmt.Sprintf(" hca_object=%d", *l.HcaObjects)
	}
	if v == dev {
		return ""
	}
	return v
}

// devices plans the device rules as writes to devices.allow/deny, in the
// config's order. Only the container's own cgroup is written: "a" fails
// in a cgroup that has children.
func (p *v1Plan) devices(rules []specs.LinuxDeviceCgroup) error {
	if len(rules) == 0 {
		return nil
	}
	checked, err := devices.FromSpec(rules)
	if err != nil {
		return fmt.Errorf("cgroups: %w", err)
	}
	for _, l := range devices.V1Lines(checked) {
		if err := p.add("linux.resources.devices", "devices", l.File, l.Value); err != nil {
			return err
		}
	}
	return nil
}
