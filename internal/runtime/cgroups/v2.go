package cgroups

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cais-project/cais/internal/errdefs"
)

var (
	_ Manager = (*v1)(nil)
	_ Manager = (*v2)(nil)
)

// v2 manages a container's cgroup in the unified hierarchy mounted at root.
type v2 struct {
	root string
	dir  string
}

// newV2 returns a v2 manager for dir, which lies below the unified mount
// root. Tests point both at a temporary directory.
func newV2(root, dir string) *v2 {
	return &v2{root: filepath.Clean(root), dir: filepath.Clean(dir)}
}

func (m *v2) Version() int             { return 2 }
func (m *v2) Path(string) string       { return m.dir }
func (m *v2) Paths() map[string]string { return map[string]string{"": m.dir} }
func (m *v2) Pids() ([]int, error)     { return readPids(m.dir, true) }
func (m *v2) Destroy() error           { return removeTree(m.dir) }
func (m *v2) Freeze() error            { return m.setFreeze("1") }
func (m *v2) Thaw() error              { return m.setFreeze("0") }
func (m *v2) Stats() (*Stats, error)   { return v2Stats(m.dir) }

// Create creates the directories from the root down. Before creating each
// level it enables, in its parent's cgroup.subtree_control, every
// controller the parent has, so the container's cgroup gets them all. The
// container's own subtree_control is left alone: it will hold processes.
func (m *v2) Create() error {
	rel, err := filepath.Rel(m.root, m.dir)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return fmt.Errorf("cgroups: %s is not below the cgroup2 mount %s: %w", m.dir, m.root, errdefs.ErrInvalidArgument)
	}
	cur := m.root
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		if err := enableControllers(cur); err != nil {
			return err
		}
		cur = filepath.Join(cur, part)
		if err := os.Mkdir(cur, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("cgroups: creating %s: %w", cur, err)
		}
	}
	return nil
}

// enableControllers enables in dir's subtree_control the controllers dir
// has and has not enabled yet. If the kernel refuses them together, each is
// tried alone and the ones it refuses stay off (Set then fails on their
// files, naming them).
func enableControllers(dir string) error {
	avail, err := readFile(dir, "cgroup.controllers")
	if err != nil {
		return err
	}
	enabled, err := readFile(dir, "cgroup.subtree_control")
	if err != nil {
		return err
	}
	on := map[string]bool{}
	for _, c := range strings.Fields(enabled) {
		on[c] = true
	}
	var missing []string
	for _, c := range strings.Fields(avail) {
		if !on[c] {
			missing = append(missing, "+"+c)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if err := writeFile(dir, "cgroup.subtree_control", strings.Join(missing, " ")); err == nil {
		return nil
	}
	for _, c := range missing {
		_ = writeFile(dir, "cgroup.subtree_control", c)
	}
	return nil
}

func (m *v2) Apply(pid int) error {
	if err := m.Create(); err != nil {
		return err
	}
	return writeFile(m.dir, "cgroup.procs", strconv.Itoa(pid))
}

// setFreeze writes cgroup.freeze and waits until cgroup.events reports
// the matching "frozen" state.
func (m *v2) setFreeze(v string) error {
	if err := writeFile(m.dir, "cgroup.freeze", v); err != nil {
		return err
	}
	return waitFor("waiting for cgroup.events frozen "+v, func() (bool, error) {
		return m.eventsFrozen(v)
	})
}

func (m *v2) eventsFrozen(v string) (bool, error) {
	events, err := readFile(m.dir, "cgroup.events")
	if err != nil {
		return false, err
	}
	for _, line := range strings.Split(events, "\n") {
		if got, ok := strings.CutPrefix(line, "frozen "); ok {
			return got == v, nil
		}
	}
	return false, fmt.Errorf("cgroups: no frozen entry in cgroup.events: %w", errdefs.ErrNotImplemented)
}

func (m *v2) FreezerState() (string, error) {
	want, err := readFile(m.dir, "cgroup.freeze")
	if errors.Is(err, fs.ErrNotExist) {
		return Thawed, nil // the root cgroup cannot be frozen
	}
	if err != nil {
		return "", err
	}
	if want == "0" {
		return Thawed, nil
	}
	frozen, err := m.eventsFrozen("1")
	if err != nil {
		return "", err
	}
	if frozen {
		return Frozen, nil
	}
	return Freezing, nil
}
