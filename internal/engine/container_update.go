package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/engine/monitor"
	"github.com/cais-project/cais/internal/errdefs"
)

// UpdateOptions are `cais update`'s changes; nil fields stay as they are.
// Values are Docker's: bytes, CPU shares, microseconds, CPUs in
// billionths (NanoCPUs), -1 for "no limit" where Docker allows it.
type UpdateOptions struct {
	Memory, MemorySwap  *int64
	NanoCPUs, CPUShares *int64
	CPUQuota, CPUPeriod *int64
	CpusetCpus          *string
	PidsLimit           *int64
	BlkioWeight         *uint16
	Restart             *string // Docker's --restart policy
}

// annotationNanoCPUs keeps the --cpus value in the bundle's spec, which
// only has its CFS period and quota, so inspect can show NanoCpus.
const annotationNanoCPUs = "cais.io/nano-cpus"

// cfsPeriod is the CFS period Docker uses for --cpus, in microseconds.
const cfsPeriod = 100000

// UpdateContainer changes c's limits: it validates them against what the
// container has (Docker's rules), applies them to a created, running or
// paused container through `runtime update --resources -`, and writes them
// into the bundle's config.json (and a restart policy into the record) so
// inspect and the next start see them. Nothing changes when the runtime
// refuses. The warnings name what was discarded because the host cannot
// enforce it (as Docker's update warnings).
func (e *Engine) UpdateContainer(ctx context.Context, c *Container, o UpdateOptions) (warnings []string, err error) {
	if w := o.BlkioWeight; w != nil && *w != 0 && (*w < 10 || *w > 1000) {
		return nil, fmt.Errorf("range of blkio weight is from 10 to 1000: %w", errdefs.ErrInvalidArgument)
	}
	if o.BlkioWeight != nil && *o.BlkioWeight != 0 && !blkioWeightSupported() {
		warnings = append(warnings, "Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.")
		o.BlkioWeight = nil
	}
	err = e.updateContainer(ctx, c, o)
	return warnings, err
}

func (e *Engine) updateContainer(ctx context.Context, c *Container, o UpdateOptions) error {
	var restart monitor.RestartPolicy
	if o.Restart != nil {
		var err error
		if restart, err = monitor.ParseRestartPolicy(*o.Restart); err != nil {
			return err
		}
		if c.AutoRemove && *o.Restart != "" && *o.Restart != "no" {
			return fmt.Errorf("restart policy cannot be updated because AutoRemove is enabled for the container: %w", errdefs.ErrInvalidArgument)
		}
	}
	// One update at a time changes the spec and the record: two racing
	// read-modify-writes would lose one.
	unlock, err := e.lockContainers()
	if err != nil {
		return err
	}
	defer unlock()
	spec, err := e.containerSpec(c)
	if err != nil {
		return err
	}
	if spec.Linux == nil {
		spec.Linux = &specs.Linux{}
	}
	if spec.Linux.Resources == nil {
		spec.Linux.Resources = &specs.LinuxResources{}
	}
	patch, err := mergeResources(spec, o)
	if err != nil {
		return err
	}
	st, err := e.State(ctx, c)
	if err != nil {
		return err
	}
	if patch != nil {
		switch st.State {
		case monitor.StateCreated, monitor.StateRunning, StatePaused:
			if err := c.runtime().Update(ctx, c.ID, *patch); err != nil {
				return fmt.Errorf("updating %s: %w", c.Name, err)
			}
		}
		b, err := json.MarshalIndent(spec, "", "  ")
		if err != nil {
			return err
		}
		if err := writeAtomic(filepath.Join(e.runDir(c.ID), "config.json"), b); err != nil {
			return err
		}
	}
	if o.Restart != nil {
		cur, err := e.loadContainer(c.ID)
		if err != nil {
			return err
		}
		cur.RestartPolicy = restart
		if err := e.saveContainer(cur); err != nil {
			return err
		}
		c.RestartPolicy = restart
	}
	return nil
}

// mergeResources checks o against the spec's resources, applies it to the
// spec and returns the patch for the runtime (nil when o changes no
// resource). The patch carries whole groups (memory with its swap, every
// CPU value) so the runtime writes them in a consistent order.
func mergeResources(spec *specs.Spec, o UpdateOptions) (*specs.LinuxResources, error) {
	r := spec.Linux.Resources
	patch := &specs.LinuxResources{}
	changed := false
	if o.Memory != nil || o.MemorySwap != nil {
		m := r.Memory
		if m == nil {
			m = &specs.LinuxMemory{}
		}
		limit, swap := deref(m.Limit), deref(m.Swap)
		if o.Memory != nil {
			if *o.Memory != 0 && *o.Memory != -1 && *o.Memory < 6<<20 {
				return nil, fmt.Errorf("minimum memory limit allowed is 6MB: %w", errdefs.ErrInvalidArgument)
			}
			if o.MemorySwap == nil && swap > 0 && *o.Memory > swap {
				return nil, fmt.Errorf("memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time: %w", errdefs.ErrInvalidArgument)
			}
			limit = *o.Memory
		}
		if o.MemorySwap != nil {
			swap = *o.MemorySwap
			if swap > 0 && limit <= 0 {
				return nil, fmt.Errorf("you should always set the memory limit when using memoryswap limit, see usage: %w", errdefs.ErrInvalidArgument)
			}
			if swap > 0 && swap < limit {
				return nil, fmt.Errorf("minimum memoryswap limit should be larger than memory limit, see usage: %w", errdefs.ErrInvalidArgument)
			}
		}
		m.Limit, m.Swap = ptr(limit), nil
		if swap != 0 {
			m.Swap = ptr(swap)
		}
		r.Memory = m
		patch.Memory = &specs.LinuxMemory{Limit: m.Limit, Swap: m.Swap}
		changed = true
	}
	if o.NanoCPUs != nil || o.CPUShares != nil || o.CPUQuota != nil || o.CPUPeriod != nil || o.CpusetCpus != nil {
		cpu, err := mergeCPU(spec, o)
		if err != nil {
			return nil, err
		}
		patch.CPU = cpu
		changed = true
	}
	if o.PidsLimit != nil {
		n := *o.PidsLimit
		if n <= 0 {
			n = -1 // Docker: 0 and -1 both lift the limit
		}
		r.Pids = &specs.LinuxPids{Limit: ptr(n)}
		patch.Pids = &specs.LinuxPids{Limit: ptr(n)}
		changed = true
	}
	if o.BlkioWeight != nil {
		w := *o.BlkioWeight
		if w != 0 && (w < 10 || w > 1000) {
			return nil, fmt.Errorf("range of blkio weight is from 10 to 1000: %w", errdefs.ErrInvalidArgument)
		}
		if r.BlockIO == nil {
			r.BlockIO = &specs.LinuxBlockIO{}
		}
		r.BlockIO.Weight = &w
		patch.BlockIO = &specs.LinuxBlockIO{Weight: &w}
		changed = true
	}
	if !changed {
		return nil, nil
	}
	return patch, nil
}

// mergeCPU applies the CPU options to the spec and returns the whole CPU
// group for the runtime.
func mergeCPU(spec *specs.Spec, o UpdateOptions) (*specs.LinuxCPU, error) {
	r := spec.Linux.Resources
	if o.NanoCPUs != nil && (o.CPUQuota != nil || o.CPUPeriod != nil) {
		return nil, fmt.Errorf("conflicting options: Nano CPUs and CPU Period/Quota cannot both be set: %w", errdefs.ErrInvalidArgument)
	}
	cpu := r.CPU
	if cpu == nil {
		cpu = &specs.LinuxCPU{}
	}
	if o.NanoCPUs != nil {
		n := *o.NanoCPUs
		if max := int64(runtime.NumCPU()) * 1e9; n < 0 || n > max || (n > 0 && n < 1e7) {
			return nil, fmt.Errorf("range of CPUs is from 0.01 to %d.00, as there are only %d CPUs available: %w", runtime.NumCPU(), runtime.NumCPU(), errdefs.ErrInvalidArgument)
		}
		if n == 0 {
			cpu.Quota, cpu.Period = ptr(int64(-1)), nil
			delete(spec.Annotations, annotationNanoCPUs)
		} else {
			cpu.Quota, cpu.Period = ptr(n*cfsPeriod/1e9), uptr(cfsPeriod)
			if spec.Annotations == nil {
				spec.Annotations = map[string]string{}
			}
			spec.Annotations[annotationNanoCPUs] = strconv.FormatInt(n, 10)
		}
	}
	if o.CPUPeriod != nil {
		p := *o.CPUPeriod
		if p != 0 && (p < 1000 || p > 1000000) {
			return nil, fmt.Errorf("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000): %w", errdefs.ErrInvalidArgument)
		}
		if _, ok := spec.Annotations[annotationNanoCPUs]; ok {
			return nil, fmt.Errorf("conflicting options: CPU Period cannot be updated as NanoCPUs has already been set: %w", errdefs.ErrInvalidArgument)
		}
		cpu.Period = uptr(uint64(p))
	}
	if o.CPUQuota != nil {
		q := *o.CPUQuota
		if q > 0 && q < 1000 {
			return nil, fmt.Errorf("CPU cfs quota can not be less than 1ms (i.e. 1000): %w", errdefs.ErrInvalidArgument)
		}
		if _, ok := spec.Annotations[annotationNanoCPUs]; ok {
			return nil, fmt.Errorf("conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set: %w", errdefs.ErrInvalidArgument)
		}
		if q == 0 {
			q = -1
		}
		cpu.Quota = ptr(q)
	}
	if o.CPUShares != nil {
		s := *o.CPUShares
		if s < 0 {
			return nil, fmt.Errorf("invalid CPU shares %d: %w", s, errdefs.ErrInvalidArgument)
		}
		if s > 0 && s < 2 {
			s = 2 // the kernel's minimum, as Docker rounds
		}
		cpu.Shares = uptr(uint64(s))
	}
	if o.CpusetCpus != nil {
		if err := checkCpuset(*o.CpusetCpus); err != nil {
			return nil, err
		}
		cpu.Cpus = *o.CpusetCpus
	}
	r.CPU = cpu
	out := *cpu
	out.Mems = ""
	return &out, nil
}

// blkioWeightSupported reports whether the host's cgroups have a block I/O
// weight to write: runtimes skip a missing file silently, so a weight the
// host cannot enforce would otherwise show in inspect as if it held.
func blkioWeightSupported() bool {
	if cgroupVersion("/sys/fs/cgroup") == "2" {
		b, err := os.ReadFile("/sys/fs/cgroup/cgroup.controllers")
		return err == nil && slices.Contains(strings.Fields(string(b)), "io")
	}
	for _, f := range []string{"blkio.weight", "blkio.bfq.weight"} {
		if _, err := os.Stat(filepath.Join("/sys/fs/cgroup/blkio", f)); err == nil {
			return true
		}
	}
	return false
}

func ptr(v int64) *int64    { return &v }
func uptr(v uint64) *uint64 { return &v }

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
