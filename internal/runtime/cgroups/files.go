package cgroups

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cais-project/cais/internal/errdefs"
)

// write is one planned write of Value to File, the side effect as data. On
// v1 Controller names the hierarchy whose directory holds File; on v2 it is
// "".
type write struct {
	Controller string
	File       string
	Value      string
}

// writeFile writes value to dir/file the way cgroupfs expects: one write on
// an existing file. The error names the file and value and carries the
// kernel's errno.
func writeFile(dir, file, value string) error {
	f, err := os.OpenFile(filepath.Join(dir, file), os.O_WRONLY|os.O_TRUNC, 0)
	if err == nil {
		_, err = f.WriteString(value)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("cgroups: writing %q to %s: %w", value, file, bareErr(err))
	}
	return nil
}

// bareErr drops the *PathError wrapping so messages show the file once.
func bareErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// readFile returns dir/file without the trailing newline.
func readFile(dir, file string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		return "", fmt.Errorf("cgroups: reading %s: %w", file, bareErr(err))
	}
	return strings.TrimSpace(string(b)), nil
}

// readUint reads a file holding one number; "max" reads as 0 (no limit).
func readUint(dir, file string) (uint64, error) {
	s, err := readFile(dir, file)
	if err != nil {
		return 0, err
	}
	return parseUint(file, s)
}

func parseUint(file, s string) (uint64, error) {
	if s == "max" {
		return 0, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		// v1 reports "-1"-like sentinels as huge numbers; a negative value
		// is never a usage.
		if i, ierr := strconv.ParseInt(s, 10, 64); ierr == nil && i < 0 {
			return 0, nil
		}
		return 0, fmt.Errorf("cgroups: parsing %s: %q is not a number: %w", file, s, errdefs.ErrInvalidArgument)
	}
	return v, nil
}

// readKeyValues parses "key value" lines (cpu.stat, memory.stat, ...).
func readKeyValues(dir, file string) (map[string]uint64, error) {
	s, err := readFile(dir, file)
	if err != nil {
		return nil, err
	}
	m := map[string]uint64{}
	for _, line := range strings.Split(s, "\n") {
		k, v, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		n, err := parseUint(file, strings.TrimSpace(v))
		if err != nil {
			return nil, err
		}
		m[k] = n
	}
	return m, nil
}

func exists(dir, file string) bool {
	_, err := os.Stat(filepath.Join(dir, file))
	return err == nil
}

// readPids reads cgroup.procs of dir and, if recursive, of every cgroup
// below it.
func readPids(dir string, recursive bool) ([]int, error) {
	var pids []int
	walk := func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if path != dir && !recursive {
			return filepath.SkipDir
		}
		s, err := readFile(path, "cgroup.procs")
		if err != nil {
			return err
		}
		for _, f := range strings.Fields(s) {
			pid, err := strconv.Atoi(f)
			if err != nil {
				return fmt.Errorf("cgroups: parsing cgroup.procs: %w", err)
			}
			pids = append(pids, pid)
		}
		return nil
	}
	if err := filepath.WalkDir(dir, walk); err != nil {
		return nil, err
	}
	return pids, nil
}

// removeTree removes the cgroup dir and its child cgroups, deepest first.
// cgroupfs directories are removed with rmdir even though they list files;
// rmdir fails with EBUSY while tasks are still leaving, so it is retried
// for a short while. A missing dir is not an error.
func removeTree(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cgroups: removing %s: %w", dir, err)
	}
	for _, e := range entries {
		if e.IsDir() {
			if err := removeTree(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	delay := 5 * time.Millisecond
	for attempt := 0; ; attempt++ {
		err := syscall.Rmdir(dir)
		if err == nil || errors.Is(err, syscall.ENOENT) {
			return nil
		}
		if !errors.Is(err, syscall.EBUSY) || attempt == 10 {
			return fmt.Errorf("cgroups: removing %s: %w", dir, err)
		}
		time.Sleep(delay)
		delay = min(2*delay, 200*time.Millisecond)
	}
}

// waitFor polls cond until it reports true, for a bounded time: freezing
// completes asynchronously in the kernel.
func waitFor(what string, cond func() (bool, error)) error {
	delay := time.Millisecond
	for range 60 {
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		time.Sleep(delay)
		delay = min(2*delay, 100*time.Millisecond)
	}
	return fmt.Errorf("cgroups: %s: timed out: %w", what, errdefs.ErrUnavailable)
}
