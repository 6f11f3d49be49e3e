package cgroups

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/errdefs"
)

// Freezer states reported by FreezerState.
const (
	Frozen   = "FROZEN"
	Thawed   = "THAWED"
	Freezing = "FREEZING" // freezing started but not every task is frozen yet
)

// Manager manages one container's cgroup(s). Not safe for concurrent use.
//
// The usual order is Create, Set, Apply(pid) (limits are in place before
// the process joins), then Freeze/Thaw/Stats/Pids while it runs, and
// Destroy once every process has exited. Set needs the directories, so it
// must follow Create or Apply.
type Manager interface {
	// Apply creates the cgroup directories (every mounted controller on
	// v1) if needed and moves pid into them.
	Apply(pid int) error
	// Set writes every field r sets; nil or empty fields write nothing.
	Set(r *specs.LinuxResources) error
	// Create creates the directories without adding a process. Idempotent.
	Create() error
	// Path returns the directory of a v1 controller ("memory", ...), ""
	// if it is not mounted; on v2 the one directory for any name.
	Path(controller string) string
	// Paths returns controller -> directory (v2: {"": dir}).
	Paths() map[string]string
	// Pids returns every process in the cgroup and its descendants.
	Pids() ([]int, error)
	// Freeze stops every process in the cgroup and waits until they are.
	Freeze() error
	// Thaw resumes the processes.
	Thaw() error
	// FreezerState returns Frozen, Thawed or Freezing.
	FreezerState() (string, error)
	// Stats reads the cgroup's usage counters.
	Stats() (*Stats, error)
	// Destroy removes the directories, children first. It succeeds if
	// they are already gone.
	Destroy() error
	// Version returns 1 or 2.
	Version() int
}

// New returns the manager for the cgroupsPath of container id, using
// cgroup v2 if root (normally "/sys/fs/cgroup") is a cgroup2 mount and the
// v1 controllers mounted under root otherwise. See the package comment for
// how cgroupsPath is resolved.
func New(root, cgroupsPath, id string) (Manager, error) {
	if isSystemdPath(cgroupsPath) {
		return nil, systemdError()
	}
	inner, err := innerPath(cgroupsPath, id)
	if err != nil {
		return nil, err
	}
	self, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, fmt.Errorf("cgroups: reading own cgroup: %w", err)
	}
	if IsV2(root) {
		own, err := parseOwnCgroupV2(string(self))
		if err != nil {
			return nil, err
		}
		return newV2(root, v2Dir(root, inner, own)), nil
	}
	mi, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("cgroups: %w", err)
	}
	defer mi.Close()
	mounts, err := v1Mounts(mi, root)
	if err != nil {
		return nil, err
	}
	if len(mounts) == 0 {
		return nil, fmt.Errorf("cgroups: no cgroup v1 controller mounted under %s: %w", root, errdefs.ErrUnavailable)
	}
	paths, err := v1Paths(mounts, parseOwnCgroupsV1(string(self)), inner)
	if err != nil {
		return nil, err
	}
	return newV1(mountPoints(mounts), paths), nil
}

// IsV2 reports whether root is a cgroup v2 (unified) hierarchy. On a hybrid
// host /sys/fs/cgroup is a tmpfs and IsV2 is false for it.
func IsV2(root string) bool {
	_, err := os.Stat(filepath.Join(root, "cgroup.controllers"))
	return err == nil
}

// isSystemdPath reports whether p has the systemd driver's
// "slice:prefix:name" form.
func isSystemdPath(p string) bool {
	parts := strings.Split(p, ":")
	return len(parts) == 3 && !strings.Contains(parts[0], "/")
}

func systemdError() error {
	comm, _ := os.ReadFile("/proc/1/comm")
	if strings.TrimSpace(string(comm)) != "systemd" {
		return fmt.Errorf("systemd cgroup driver: not supported: systemd is not PID 1: %w", errdefs.ErrNotImplemented)
	}
	return fmt.Errorf("systemd cgroup driver: not supported yet: %w", errdefs.ErrNotImplemented)
}

// innerPath cleans cgroupsPath the way runc does: an absolute path stays
// absolute, a relative one stays relative and cannot climb with "..". An
// empty cgroupsPath becomes the relative path id.
func innerPath(cgroupsPath, id string) (string, error) {
	p := cgroupsPath
	if p == "" {
		if id == "" || strings.Contains(id, "/") || id == "." || id == ".." {
			return "", fmt.Errorf("cgroups: container id %q cannot name a cgroup: %w", id, errdefs.ErrInvalidArgument)
		}
		p = id
	}
	var inner string
	if filepath.IsAbs(p) {
		inner = filepath.Clean(p)
	} else {
		inner = strings.TrimPrefix(filepath.Clean("/"+p), "/")
	}
	if inner == "/" || inner == "" {
		return "", fmt.Errorf("cgroups: linux.cgroupsPath %q names the hierarchy root: %w", cgroupsPath, errdefs.ErrInvalidArgument)
	}
	return inner, nil
}

// parseOwnCgroupV2 returns the unified-hierarchy path ("0::/x") from the
// contents of /proc/self/cgroup.
func parseOwnCgroupV2(procCgroup string) (string, error) {
	for _, line := range strings.Split(procCgroup, "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			return p, nil
		}
	}
	return "", fmt.Errorf("cgroups: no cgroup v2 entry in /proc/self/cgroup: %w", errdefs.ErrNotFound)
}

// parseOwnCgroupsV1 returns controller -> path from the contents of
// /proc/self/cgroup ("4:cpu,cpuacct:/x", "1:name=systemd:/y").
func parseOwnCgroupsV1(procCgroup string) map[string]string {
	own := map[string]string{}
	for _, line := range strings.Split(procCgroup, "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 || parts[1] == "" {
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			own[c] = parts[2]
		}
	}
	return own
}

// v2Dir resolves the cleaned inner path against the unified mount root; a
// relative path hangs below the parent of the caller's cgroup own.
func v2Dir(root, inner, own string) string {
	if filepath.IsAbs(inner) {
		return filepath.Join(root, inner)
	}
	return filepath.Join(root, filepath.Dir(own), inner)
}
