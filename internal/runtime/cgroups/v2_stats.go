package cgroups

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cais-project/cais/internal/errdefs"
)

// v2Stats reads the counters of the controllers enabled for dir; files of
// controllers that are not enabled are skipped.
func v2Stats(dir string) (*Stats, error) {
	s := &Stats{}
	for _, read := range []func(string, *Stats) error{v2CPU, v2Memory, v2Pids, v2IO, v2Hugetlb} {
		if err := read(dir, s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func v2CPU(dir string, s *Stats) error {
	kv, err := readKeyValues(dir, "cpu.stat") // present even without the cpu controller
	if err != nil {
		return err
	}
	const us = 1000
	s.CPU.Usage = CPUUsage{Total: kv["usage_usec"] * us, User: kv["user_usec"] * us, Kernel: kv["system_usec"] * us}
	s.CPU.Throttling = Throttling{Periods: kv["nr_periods"], ThrottledPeriods: kv["nr_throttled"], ThrottledTime: kv["throttled_usec"] * us}
	return nil
}

// optionalUint reads file if it exists; ok is false otherwise.
func optionalUint(dir, file string) (v uint64, ok bool, err error) {
	if !exists(dir, file) {
		return 0, false, nil
	}
	v, err = readUint(dir, file)
	return v, err == nil, err
}

// v2Limit reads a limit file, where "max" is the largest value.
func v2Limit(dir, file string) (uint64, error) {
	s, err := readFile(dir, file)
	if err != nil || s == "max" {
		return maxUint64, err
	}
	return parseUint(file, s)
}

const maxUint64 = ^uint64(0)

func v2Memory(dir string, s *Stats) error {
	usage, ok, err := optionalUint(dir, "memory.current")
	if err != nil || !ok {
		return err
	}
	m := &s.Memory
	m.Usage.Usage = usage
	if m.Usage.Limit, err = v2Limit(dir, "memory.max"); err != nil {
		return err
	}
	if m.Usage.Max, _, err = optionalUint(dir, "memory.peak"); err != nil {
		return err
	}
	events, err := readKeyValues(dir, "memory.events")
	if err != nil {
		return err
	}
	m.Usage.Failcnt = events["max"]
	if swap, ok, err := optionalUint(dir, "memory.swap.current"); err != nil {
		return err
	} else if ok {
		m.Swap.Usage = swap + usage
		lim, err := v2Limit(dir, "memory.swap.max")
		if err != nil {
			return err
		}
		m.Swap.Limit = maxUint64
		if lim != maxUint64 && m.Usage.Limit != maxUint64 {
			m.Swap.Limit = lim + m.Usage.Limit
		}
	}
	if m.Raw, err = readKeyValues(dir, "memory.stat"); err != nil {
		return err
	}
	m.Cache = m.Raw["file"]
	return nil
}

func v2Pids(dir string, s *Stats) error {
	cur, ok, err := optionalUint(dir, "pids.current")
	if err != nil || !ok {
		return err
	}
	limit, err := readUint(dir, "pids.max") // "max" reads as 0: no limit
	if err != nil {
		return err
	}
	s.Pids = PidsStats{Current: cur, Limit: limit}
	return nil
}

// v2IO turns io.stat ("8:0 rbytes=1 wbytes=2 rios=3 wios=4 ...") into
// v1-shaped Read/Write entries.
func v2IO(dir string, s *Stats) error {
	if !exists(dir, "io.stat") {
		return nil
	}
	text, err := readFile(dir, "io.stat")
	if err != nil {
		return err
	}
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		majS, minS, ok := strings.Cut(f[0], ":")
		maj, err1 := strconv.ParseUint(majS, 10, 64)
		min, err2 := strconv.ParseUint(minS, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			return fmt.Errorf("cgroups: parsing io.stat: bad device %q: %w", f[0], errdefs.ErrInvalidArgument)
		}
		for _, kv := range f[1:] {
			k, v, _ := strings.Cut(kv, "=")
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				continue // keys this code does not know may not be numbers
			}
			e := BlkioEntry{Major: maj, Minor: min, Value: n}
			switch k {
			case "rbytes":
				e.Op = "Read"
				s.Blkio.IoServiceBytesRecursive = append(s.Blkio.IoServiceBytesRecursive, e)
			case "wbytes":
				e.Op = "Write"
				s.Blkio.IoServiceBytesRecursive = append(s.Blkio.IoServiceBytesRecursive, e)
			case "rios":
				e.Op = "Read"
				s.Blkio.IoServicedRecursive = append(s.Blkio.IoServicedRecursive, e)
			case "wios":
				e.Op = "Write"
				s.Blkio.IoServicedRecursive = append(s.Blkio.IoServicedRecursive, e)
			}
		}
	}
	return nil
}

func v2Hugetlb(dir string, s *Stats) error {
	matches, err := filepath.Glob(filepath.Join(dir, "hugetlb.*.current"))
	if err != nil {
		return err
	}
	for _, path := range matches {
		size := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), "hugetlb."), ".current")
		if strings.Contains(size, ".") { // hugetlb.2MB.rsvd.current
			continue
		}
		var h HugetlbStats
		if h.Usage, err = readUint(dir, "hugetlb."+size+".current"); err != nil {
			return err
		}
		if exists(dir, "hugetlb."+size+".events") {
			ev, err := readKeyValues(dir, "hugetlb."+size+".events")
			if err != nil {
				return err
			}
			h.Failcnt = ev["max"]
		}
		if s.Hugetlb == nil {
			s.Hugetlb = map[string]HugetlbStats{}
		}
		s.Hugetlb[size] = h
	}
	return nil
}
