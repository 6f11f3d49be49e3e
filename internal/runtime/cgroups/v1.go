package cgroups

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/sys/mountinfo"

	"github.com/cais-project/cais/internal/errdefs"
)

// v1Controllers are the hierarchies a v1 manager creates and joins. Any
// other mounted hierarchy is left alone.
var v1Controllers = []string{
	"blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "hugetlb",
	"memory", "misc", "name=systemd", "net_cls", "net_prio", "perf_event",
	"pids", "rdma",
}

// v1Mount is one mounted v1 hierarchy.
type v1Mount struct {
	Mountpoint  string
	Root        string   // the cgroup the mount shows as its root ("/")
	Controllers []string // "cpu", "cpuacct", "name=systemd", ...
}

// v1Mounts returns the cgroup v1 hierarchies in mountinfo (the contents of
// /proc/self/mountinfo) mounted directly under root.
func v1Mounts(mi io.Reader, root string) ([]v1Mount, error) {
	infos, err := mountinfo.GetMountsFromReader(mi, mountinfo.FSTypeFilter("cgroup"))
	if err != nil {
		return nil, fmt.Errorf("cgroups: reading mountinfo: %w", err)
	}
	var out []v1Mount
	for _, in := range infos {
		if filepath.Dir(in.Mountpoint) != filepath.Clean(root) {
			continue
		}
		m := v1Mount{Mountpoint: in.Mountpoint, Root: in.Root}
		for _, opt := range strings.Split(in.VFSOptions, ",") {
			if slices.Contains(v1Controllers, opt) {
				m.Controllers = append(m.Controllers, opt)
			}
		}
		if len(m.Controllers) > 0 {
			out = append(out, m)
		}
	}
	return out, nil
}

// mountPoints returns controller -> mount point.
func mountPoints(mounts []v1Mount) map[string]string {
	mp := map[string]string{}
	for _, m := range mounts {
		for _, c := range m.Controllers {
			mp[c] = m.Mountpoint
		}
	}
	return mp
}

// v1Paths resolves the cleaned inner path for every mounted controller. A
// relative inner path hangs below the caller's cgroup in that hierarchy
// (own, from /proc/self/cgroup), seen through the mount's root.
func v1Paths(mounts []v1Mount, own map[string]string, inner string) (map[string]string, error) {
	paths := map[string]string{}
	for _, m := range mounts {
		for _, c := range m.Controllers {
			if filepath.IsAbs(inner) {
				paths[c] = filepath.Join(m.Mountpoint, inner)
				continue
			}
			ownPath, ok := own[c]
			if !ok {
				return nil, fmt.Errorf("cgroups: no %s entry in /proc/self/cgroup: %w", c, errdefs.ErrNotFound)
			}
			rel, err := filepath.Rel(m.Root, ownPath)
			if err != nil || strings.HasPrefix(rel, "..") {
				// The caller's cgroup is outside what the mount shows
				// (another cgroup namespace): use the mount's root.
				rel = "."
			}
			paths[c] = filepath.Join(m.Mountpoint, rel, inner)
		}
	}
	return paths, nil
}

// v1 manages a container's cgroups in the v1 hierarchies.
type v1 struct {
	mounts map[string]string // controller -> mount point
	paths  map[string]string // controller -> the container's dir
}

// newV1 returns a v1 manager for the given per-controller mount points and
// container directories (each paths[c] lies below mounts[c]). Tests point
// both at a temporary directory.
func newV1(mounts, paths map[string]string) *v1 {
	return &v1{mounts: mounts, paths: paths}
}

func (m *v1) Version() int { return 1 }

func (m *v1) Path(controller string) string { return m.paths[controller] }

func (m *v1) Paths() map[string]string {
	out := make(map[string]string, len(m.paths))
	for c, p := range m.paths {
		out[c] = p
	}
	return out
}

// controllers returns the managed controllers in a stable order.
func (m *v1) controllers() []string {
	cs := make([]string, 0, len(m.paths))
	for c := range m.paths {
		cs = append(cs, c)
	}
	slices.Sort(cs)
	return cs
}

func (m *v1) Create() error {
	for _, c := range m.controllers() {
		var err error
		if c == "cpuset" {
			err = m.createCpuset()
		} else {
			err = os.MkdirAll(m.paths[c], 0o755)
		}
		if err != nil {
			return fmt.Errorf("cgroups: creating %s cgroup: %w", c, err)
		}
	}
	return nil
}

// createCpuset creates the cpuset dirs one level at a time: a new cpuset
// cgroup starts with empty cpuset.cpus and cpuset.mems, and no task can
// join it until they are filled, so each level copies them from its parent.
func (m *v1) createCpuset() error {
	mount, dir := m.mounts["cpuset"], m.paths["cpuset"]
	rel, err := filepath.Rel(mount, dir)
	if err != nil {
		return err
	}
	cur := mount
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		if part == "." || part == "" {
			continue
		}
		parent := cur
		cur = filepath.Join(cur, part)
		if err := os.Mkdir(cur, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			v, err := readFile(cur, f)
			if err != nil {
				return err
			}
			if v != "" {
				continue
			}
			pv, err := readFile(parent, f)
			if err != nil {
				return err
			}
			if err := writeFile(cur, f, pv); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *v1) Apply(pid int) error {
	if err := m.Create(); err != nil {
		return err
	}
	for _, c := range m.controllers() {
		if err := writeFile(m.paths[c], "cgroup.procs", strconv.Itoa(pid)); err != nil {
			return fmt.Errorf("%w (joining the %s cgroup)", err, c)
		}
	}
	return nil
}

// pidsDir is the hierarchy Pids reads: any one holds every task.
func (m *v1) pidsDir() (string, error) {
	for _, c := range []string{"pids", "devices", "freezer", "memory", "cpu", "name=systemd"} {
		if p, ok := m.paths[c]; ok {
			return p, nil
		}
	}
	for _, c := range m.controllers() {
		return m.paths[c], nil
	}
	return "", fmt.Errorf("cgroups: no v1 hierarchy: %w", errdefs.ErrUnavailable)
}

func (m *v1) Pids() ([]int, error) {
	dir, err := m.pidsDir()
	if err != nil {
		return nil, err
	}
	return readPids(dir, true)
}

func (m *v1) freezerDir() (string, error) {
	dir, ok := m.paths["freezer"]
	if !ok {
		return "", fmt.Errorf("cgroups: freezing needs the freezer controller, which is not mounted: %w", errdefs.ErrUnavailable)
	}
	return dir, nil
}

func (m *v1) Freeze() error { return m.setFreezer(Frozen) }
func (m *v1) Thaw() error   { return m.setFreezer(Thawed) }

// setFreezer writes state and waits until the kernel reports it; a freeze
// passes through FREEZING and is written again while it lasts, as tasks
// that were forking may have been missed.
func (m *v1) setFreezer(state string) error {
	dir, err := m.freezerDir()
	if err != nil {
		return err
	}
	return waitFor("waiting for freezer.state "+state, func() (bool, error) {
		if err := writeFile(dir, "freezer.state", state); err != nil {
			return false, err
		}
		got, err := readFile(dir, "freezer.state")
		return got == state, err
	})
}

func (m *v1) FreezerState() (string, error) {
	dir, err := m.freezerDir()
	if err != nil {
		return "", err
	}
	return readFile(dir, "freezer.state")
}

func (m *v1) Destroy() error {
	var errs []error
	for _, c := range m.controllers() {
		errs = append(errs, removeTree(m.paths[c]))
	}
	return errors.Join(errs...)
}
