package container

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/errdefs"
)

// Update changes the resource limits of a created, running or paused
// container. patch says what changes, in runc update's terms: the memory
// limit, reservation and swap; every CPU field; the block I/O weight; the
// pids limit; and unified (v2) keys. Other fields of patch (devices, huge
// pages, network, rdma, kernel memory) are ignored, as runc ignores them:
// containerd sends a whole LinuxResources. Update writes the stored
// resources merged with patch through the cgroup manager and saves them in
// state.json, so later reads agree with the kernel. If the kernel refuses a
// value, the previous values are written back (best effort) and the state
// is left unchanged. A stopped container is an errdefs.ErrConflict.
func (c *Container) Update(patch *specs.LinuxResources) error {
	unlock, err := c.lock()
	if err != nil {
		return err
	}
	defer unlock()
	if c.Status() == Stopped {
		return fmt.Errorf("container %s is not running: %w", c.state.ID, errdefs.ErrConflict)
	}
	spec, err := c.state.FullSpec()
	if err != nil {
		return err
	}
	if spec.Linux == nil {
		return fmt.Errorf("container %s has no linux section in its state: %w", c.state.ID, errdefs.ErrInvalidArgument)
	}
	old := spec.Linux.Resources
	merged, err := MergeResources(old, patch)
	if err != nil {
		return err
	}
	m, err := c.cgroup()
	if err != nil {
		return err
	}
	if err := m.Set(withoutDevices(merged)); err != nil {
		if old != nil {
			if rerr := m.Set(withoutDevices(old)); rerr != nil {
				err = errors.Join(err, fmt.Errorf("restoring the previous limits (state.json and the kernel may now disagree): %w", rerr))
			}
		}
		return fmt.Errorf("updating container %s: %w", c.state.ID, err)
	}
	spec.Linux.Resources = merged
	if err := c.state.setSpec(spec); err != nil {
		return err
	}
	if err := c.state.save(c.dir); err != nil {
		return fmt.Errorf("saving state: %w", err)
	}
	return nil
}

// withoutDevices returns r without its device rules: rewriting them on v1
// denies every device for a moment (and on v2 replaces the program), and
// update cannot change them anyway.
func withoutDevices(r *specs.LinuxResources) *specs.LinuxResources {
	cp := *r
	cp.Devices = nil
	return &cp
}

// MergeResources returns a deep copy of base with the fields of patch that
// runc update may change set over it (see Update). Neither argument is
// modified. A memory limit of -1 (unlimited) without a swap value makes
// swap unlimited too, as runc does, so v1's memsw limit never stays below
// the memory limit.
func MergeResources(base, patch *specs.LinuxResources) (*specs.LinuxResources, error) {
	out, err := copyResources(base)
	if err != nil {
		return nil, err
	}
	if patch == nil {
		return out, nil
	}
	if pm := patch.Memory; pm != nil {
		if out.Memory == nil {
			out.Memory = &specs.LinuxMemory{}
		}
		setPtr(&out.Memory.Limit, pm.Limit)
		setPtr(&out.Memory.Reservation, pm.Reservation)
		setPtr(&out.Memory.Swap, pm.Swap)
		setPtr(&out.Memory.CheckBeforeUpdate, pm.CheckBeforeUpdate)
		if pm.Limit != nil && *pm.Limit == -1 && pm.Swap == nil {
			unlimited := int64(-1)
			out.Memory.Swap = &unlimited
		}
	}
	if pc := patch.CPU; pc != nil {
		if out.CPU == nil {
			out.CPU = &specs.LinuxCPU{}
		}
		setPtr(&out.CPU.Shares, pc.Shares)
		setPtr(&out.CPU.Quota, pc.Quota)
		setPtr(&out.CPU.Burst, pc.Burst)
		setPtr(&out.CPU.Period, pc.Period)
		setPtr(&out.CPU.RealtimeRuntime, pc.RealtimeRuntime)
		setPtr(&out.CPU.RealtimePeriod, pc.RealtimePeriod)
		setPtr(&out.CPU.Idle, pc.Idle)
		if pc.Cpus != "" {
			out.CPU.Cpus = pc.Cpus
		}
		if pc.Mems != "" {
			out.CPU.Mems = pc.Mems
		}
	}
	if pb := patch.BlockIO; pb != nil && pb.Weight != nil {
		if out.BlockIO == nil {
			out.BlockIO = &specs.LinuxBlockIO{}
		}
		setPtr(&out.BlockIO.Weight, pb.Weight)
	}
	if pp := patch.Pids; pp != nil && pp.Limit != nil {
		out.Pids = &specs.LinuxPids{}
		setPtr(&out.Pids.Limit, pp.Limit)
	}
	if len(patch.Unified) > 0 {
		if out.Unified == nil {
			out.Unified = map[string]string{}
		}
		maps.Copy(out.Unified, patch.Unified)
	}
	return out, nil
}

// setPtr points *dst at a copy of *v when v is set.
func setPtr[T any](dst **T, v *T) {
	if v != nil {
		cp := *v
		*dst = &cp
	}
}

// copyResources deep-copies r (an empty value for nil) through JSON, the
// form state.json keeps it in anyway.
func copyResources(r *specs.LinuxResources) (*specs.LinuxResources, error) {
	out := &specs.LinuxResources{}
	if r == nil {
		return out, nil
	}
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, out); err != nil {
		return nil, err
	}
	return out, nil
}
