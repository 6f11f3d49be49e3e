package cgroups

// Stats is a snapshot of a container's cgroup counters. Its shape and JSON
// names follow runc's `events --stats` output so a caller can print it.
// Times are nanoseconds, sizes bytes. A limit of 0 means no limit, except
// memory limits, where no limit reads as the kernel's maximum.
type Stats struct {
	CPU     CPUStats                `json:"cpu"`
	Memory  MemoryStats             `json:"memory"`
	Pids    PidsStats               `json:"pids"`
	Blkio   BlkioStats              `json:"blkio"`
	Hugetlb map[string]HugetlbStats `json:"hugetlb,omitempty"` // by page size: "2MB"
}

// CPUStats is CPU time used and bandwidth throttling.
type CPUStats struct {
	Usage      CPUUsage   `json:"usage"`
	Throttling Throttling `json:"throttling"`
}

// CPUUsage is CPU time in nanoseconds. PerCPU is only known on v1.
type CPUUsage struct {
	Total  uint64   `json:"total"`
	PerCPU []uint64 `json:"percpu,omitempty"`
	Kernel uint64   `json:"kernel"`
	User   uint64   `json:"user"`
}

// Throttling counts CFS bandwidth periods.
type Throttling struct {
	Periods          uint64 `json:"periods,omitempty"`
	ThrottledPeriods uint64 `json:"throttled_periods,omitempty"`
	ThrottledTime    uint64 `json:"throttled_time,omitempty"`
}

// MemoryStats is memory use. On v2 Swap reports memory+swap, as v1's memsw
// does and as runc reports it.
type MemoryStats struct {
	Cache  uint64            `json:"cache"`
	Usage  MemoryEntry       `json:"usage"`
	Swap   MemoryEntry       `json:"swap"`
	Kernel MemoryEntry       `json:"kernel"`
	Raw    map[string]uint64 `json:"raw,omitempty"` // memory.stat
}

// MemoryEntry is one memory counter. Failcnt is memory.failcnt on v1 and
// the "max" count of memory.events on v2.
type MemoryEntry struct {
	Limit   uint64 `json:"limit"`
	Usage   uint64 `json:"usage,omitempty"`
	Max     uint64 `json:"max,omitempty"`
	Failcnt uint64 `json:"failcnt"`
}

// PidsStats is the task count and its limit (0: none).
type PidsStats struct {
	Current uint64 `json:"current,omitempty"`
	Limit   uint64 `json:"limit,omitempty"`
}

// BlkioStats is block I/O done by the cgroup and its descendants.
type BlkioStats struct {
	IoServiceBytesRecursive []BlkioEntry `json:"ioServiceBytesRecursive,omitempty"`
	IoServicedRecursive     []BlkioEntry `json:"ioServicedRecursive,omitempty"`
}

// BlkioEntry is one per-device counter; Op is "Read", "Write", ...
type BlkioEntry struct {
	Major uint64 `json:"major,omitempty"`
	Minor uint64 `json:"minor,omitempty"`
	Op    string `json:"op,omitempty"`
	Value uint64 `json:"value,omitempty"`
}

// HugetlbStats is the use of one huge page size.
type HugetlbStats struct {
	Usage   uint64 `json:"usage,omitempty"`
	Max     uint64 `json:"max,omitempty"`
	Failcnt uint64 `json:"failcnt"`
}
