package container

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/runtime/cgroups"
)

// CgroupRoot is where the cgroup hierarchies are mounted.
const CgroupRoot = "/sys/fs/cgroup"

// Container is a loaded container. Methods that change it take the
// container's lock for their duration.
type Container struct {
	root  string // the runtime's --root
	dir   string // root/id
	state *State
	cg    cgroups.Manager // loaded on first use
}

// ID returns the container's id.
func (c *Container) ID() string { return c.state.ID }

// State returns what the runtime remembers of the container.
func (c *Container) State() *State { return c.state }

// Load reads the container id under root.
func Load(root, id string) (*Container, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	dir := filepath.Join(root, id)
	s, err := loadState(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("container %q does not exist: %w", id, errdefs.ErrNotFound)
		}
		return nil, err
	}
	return &Container{root: root, dir: dir, state: s}, nil
}

// List returns the containers under root, ordered by creation time.
func List(root string) ([]*Container, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var out []*Container
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		c, err := Load(root, e.Name())
		if err != nil {
			continue // being created, or not ours
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].state.Created.Before(out[j].state.Created) })
	return out, nil
}

// Status derives the container's status from the kernel: its init process,
// the exec fifo (present until start) and the freezer.
func (c *Container) Status() Status {
	if !c.state.alive() {
		return Stopped
	}
	// Paused first: a created container can be paused too (as in runc).
	if m, err := c.cgroup(); err == nil {
		if st, err := m.FreezerState(); err == nil && st == cgroups.Frozen {
			return Paused
		}
	}
	if _, err := os.Lstat(filepath.Join(c.dir, fifoFile)); err == nil {
		return Created
	}
	return Running
}

// OCIState is the state as runtime-spec (and runc's `state`) report it.
type OCIState struct {
	specs.State
	Rootfs  string    `json:"rootfs"`
	Created time.Time `json:"created"`
	Owner   string    `json:"owner"`
}

// OCIState returns the container's runtime-spec state.
func (c *Container) OCIState() OCIState {
	st := c.Status()
	pid := c.state.Pid
	if st == Stopped {
		pid = 0
	}
	ann := c.state.specView().Annotations
	return OCIState{
		State: specs.State{
			Version:     specs.Version,
			ID:          c.state.ID,
			Status:      specs.ContainerState(st),
			Pid:         pid,
			Bundle:      c.state.Bundle,
			Annotations: ann,
		},
		Rootfs:  c.state.Rootfs,
		Created: c.state.Created,
		Owner:   c.state.Owner,
	}
}

func (c *Container) cgroup() (cgroups.Manager, error) {
	if c.cg != nil {
		return c.cg, nil
	}
	m, err := cgroups.New(CgroupRoot, c.state.specView().cgroupsPath(), c.state.ID)
	if err == nil {
		c.cg = m
	}
	return m, err
}

// lock takes the container's file lock, blocking until it is free. The
// returned function releases it.
//
// Only Create makes the lock file (create is set): any other command that
// opened it with O_CREATE could recreate it in a directory that a racing
// delete is removing, leaving a directory without state behind.
func lockDir(dir string, create bool) (func(), error) {
	flags := os.O_RDWR | unix.O_CLOEXEC
	if create {
		flags |= os.O_CREATE
	}
	f, err := os.OpenFile(filepath.Join(dir, lockFile), flags, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	}
	return func() { f.Close() }, nil
}

// lock takes the container's lock and reloads its state, which another
// command may have changed (or removed) while this one waited.
func (c *Container) lock() (func(), error) {
	unlock, err := lockDir(c.dir, false)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("container %q does not exist: %w", c.state.ID, errdefs.ErrNotFound)
		}
		return nil, err
	}
	s, err := loadState(c.dir)
	if err != nil {
		unlock()
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("container %q does not exist: %w", c.state.ID, errdefs.ErrNotFound)
		}
		return nil, err
	}
	c.state = s
	return unlock, nil
}
