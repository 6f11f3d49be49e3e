package cgroups

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cais-project/cais/internal/errdefs"
)

// userHZ is the unit of cpuacct.stat (USER_HZ, 100 on every Linux ABI).
const userHZ = 100

func (m *v1) Stats() (*Stats, error) {
	s := &Stats{}
	steps := []struct {
		controller string
		read       func(dir string, s *Stats) error
	}{
		{"cpuacct", v1CPUUsage},
		{"cpu", v1Throttling},
		{"memory", v1Memory},
		{"pids", v1Pids},
		{"blkio", v1Blkio},
		{"hugetlb", v1Hugetlb},
	}
	for _, st := range steps {
		dir, ok := m.paths[st.controller]
		if !ok {
			continue
		}
		if err := st.read(dir, s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func v1CPUUsage(dir string, s *Stats) error {
	total, err := readUint(dir, "cpuacct.usage")
	if err != nil {
		return err
	}
	s.CPU.Usage.Total = total
	if exists(dir, "cpuacct.usage_percpu") {
		per, err := readFile(dir, "cpuacct.usage_percpu")
		if err != nil {
			return err
		}
		for _, f := range strings.Fields(per) {
			v, err := parseUint("cpuacct.usage_percpu", f)
			if err != nil {
				return err
			}
			s.CPU.Usage.PerCPU = append(s.CPU.Usage.PerCPU, v)
		}
	}
	kv, err := readKeyValues(dir, "cpuacct.stat")
	if err != nil {
		return err
	}
	const nsPerTick = 1_000_000_000 / userHZ
	s.CPU.Usage.User = kv["user"] * nsPerTick
	s.CPU.Usage.Kernel = kv["system"] * nsPerTick
	return nil
}

func v1Throttling(dir string, s *Stats) error {
	kv, err := readKeyValues(dir, "cpu.stat")
	if err != nil {
		return err
	}
	s.CPU.Throttling = Throttling{
		Periods:          kv["nr_periods"],
		ThrottledPeriods: kv["nr_throttled"],
		ThrottledTime:    kv["throttled_time"],
	}
	return nil
}

func v1Memory(dir string, s *Stats) error {
	entry := func(prefix string) (MemoryEntry, error) {
		var e MemoryEntry
		for _, f := range []struct {
			name string
			dst  *uint64
		}{
			{"usage_in_bytes", &e.Usage}, {"limit_in_bytes", &e.Limit},
			{"max_usage_in_bytes", &e.Max}, {"failcnt", &e.Failcnt},
		} {
			file := prefix + f.name
			if !exists(dir, file) {
				continue
			}
			v, err := readUint(dir, file)
			if err != nil {
				return e, err
			}
			*f.dst = v
		}
		return e, nil
	}
	var err error
	if s.Memory.Usage, err = entry("memory."); err != nil {
		return err
	}
	if s.Memory.Swap, err = entry("memory.memsw."); err != nil {
		return err
	}
	if s.Memory.Kernel, err = entry("memory.kmem."); err != nil {
		return err
	}
	if s.Memory.Raw, err = readKeyValues(dir, "memory.stat"); err != nil {
		return err
	}
	s.Memory.Cache = s.Memory.Raw["cache"]
	return nil
}

func v1Pids(dir string, s *Stats) error {
	cur, err := readUint(dir, "pids.current")
	if err != nil {
		return err
	}
	limit, err := readUint(dir, "pids.max")
	if err != nil {
		return err
	}
	s.Pids = PidsStats{Current: cur, Limit: limit}
	return nil
}

// v1Blkio reads the first of the CFQ, BFQ and throttle counters that has
// entries: kernels without CFQ or BFQ only keep the throttle ones.
func v1Blkio(dir string, s *Stats) error {
	read := func(name string) ([]BlkioEntry, error) {
		for _, prefix := range []string{"blkio.", "blkio.bfq.", "blkio.throttle."} {
			file := prefix + name
			if !exists(dir, file) {
				continue
			}
			entries, err := parseBlkio(dir, file)
			if err != nil || len(entries) > 0 {
				return entries, err
			}
		}
		return nil, nil
	}
	var err error
	if s.Blkio.IoServiceBytesRecursive, err = read("io_service_bytes_recursive"); err != nil {
		return err
	}
	s.Blkio.IoServicedRecursive, err = read("io_serviced_recursive")
	return err
}

// parseBlkio parses "8:0 Read 4096" lines, skipping the "Total" line.
func parseBlkio(dir, file string) ([]BlkioEntry, error) {
	s, err := readFile(dir, file)
	if err != nil {
		return nil, err
	}
	var out []BlkioEntry
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		maj, min, ok := strings.Cut(f[0], ":")
		if !ok {
			return nil, fmt.Errorf("cgroups: parsing %s: bad device %q: %w", file, f[0], errdefs.ErrInvalidArgument)
		}
		e := BlkioEntry{Op: f[1]}
		for _, n := range []struct {
			s   string
			dst *uint64
		}{{maj, &e.Major}, {min, &e.Minor}, {f[2], &e.Value}} {
			v, err := strconv.ParseUint(n.s, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("cgroups: parsing %s: %q: %w", file, line, errdefs.ErrInvalidArgument)
			}
			*n.dst = v
		}
		out = append(out, e)
	}
	return out, nil
}

func v1Hugetlb(dir string, s *Stats) error {
	matches, err := filepath.Glob(filepath.Join(dir, "hugetlb.*.usage_in_bytes"))
	if err != nil {
		return err
	}
	for _, path := range matches {
		size := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), "hugetlb."), ".usage_in_bytes")
		if strings.Contains(size, ".") { // hugetlb.2MB.rsvd.usage_in_bytes
			continue
		}
		var h HugetlbStats
		for _, f := range []struct {
			file string
			dst  *uint64
		}{{"usage_in_bytes", &h.Usage}, {"max_usage_in_bytes", &h.Max}, {"failcnt", &h.Failcnt}} {
			file := "hugetlb." + size + "." + f.file
			if _, err := os.Stat(filepath.Join(dir, file)); err != nil {
				continue
			}
			if *f.dst, err = readUint(dir, file); err != nil {
				return err
			}
		}
		if s.Hugetlb == nil {
			s.Hugetlb = map[string]HugetlbStats{}
		}
		s.Hugetlb[size] = h
	}
	return nil
}
