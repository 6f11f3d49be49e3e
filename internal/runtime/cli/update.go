package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/runtime/container"
	"github.com/cais-project/cais/internal/units"
)

const updateResourcesUsage = `path to a JSON file of resources to update, or '-' for standard input.
The format is runtime-spec's linux.resources; unchanged values can be omitted:
{"memory": {"limit": 0, "reservation": 0, "swap": 0},
 "cpu": {"shares": 0, "quota": 0, "period": 0, "realtimeRuntime": 0, "realtimePeriod": 0, "cpus": "", "mems": ""},
 "blockIO": {"weight": 0}, "pids": {"limit": 0}}
With --resources every other option is ignored.`

func updateCmd(g *globals) *command {
	var resources string
	cmd := newCommand("update [flags] CONTAINER_ID", "update a container's resource limits", exactArgs(1),
		func(cl *call) error {
			var patch *specs.LinuxResources
			var err error
			if resources != "" {
				patch, err = readResources(resources, cl.stdin)
			} else {
				patch, err = resourcesFromFlags(cl.flags, cl.stderr)
			}
			if err != nil {
				return err
			}
			c, err := container.Load(g.root, cl.args[0])
			if err != nil {
				return err
			}
			return c.Update(patch)
		})
	f := cmd.flags
	f.stringVar(&resources, "resources", "r", "", updateResourcesUsage)
	f.string("blkio-weight", "per-cgroup block I/O weight, 10 to 1000")
	f.string("cpu-period", "CPU CFS period (usecs) for hard capping; 0 for the system default")
	f.string("cpu-quota", "CPU CFS hard cap (usecs) in a period")
	f.string("cpu-share", "CPU shares (relative weight against other containers)")
	f.string("cpu-rt-period", "CPU realtime period (usecs); 0 for the system default")
	f.string("cpu-rt-runtime", "CPU realtime hard cap (usecs) in a period")
	f.string("cpuset-cpus", "CPUs to use (0-3, 0,1)")
	f.string("cpuset-mems", "memory nodes to use (0-3, 0,1)")
	f.string("memory", "memory limit in bytes (suffixes k, m, g... accepted; -1: unlimited)")
	f.string("memory-reservation", "memory soft limit in bytes")
	f.string("memory-swap", "memory plus swap limit in bytes; -1: unlimited swap")
	f.string("pids-limit", "maximum number of processes; 0 or -1: unlimited")
	f.string("l3-cache-schema", "Intel RDT/CAT L3 cache schema (not supported)")
	f.string("mem-bw-schema", "Intel RDT/MBA memory bandwidth schema (not supported)")
	f.string("kernel-memory", "obsolete, ignored")
	f.string("kernel-memory-tcp", "obsolete, ignored")
	f.lookup("kernel-memory").hidden = true
	f.lookup("kernel-memory-tcp").hidden = true
	// runc spells it --cpu-share; Docker's users type --cpu-shares.
	f.alias("cpu-shares", "cpu-share")
	return cmd
}

// readResources decodes a LinuxResources document from path, or from
// stdin when path is "-" (what containerd sends).
func readResources(path string, stdin io.Reader) (*specs.LinuxResources, error) {
	r := stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("--resources: %w", err)
		}
		defer f.Close()
		r = f
	}
	var res specs.LinuxResources
	if err := json.NewDecoder(r).Decode(&res); err != nil {
		return nil, fmt.Errorf("--resources: decoding %s: %v: %w", path, err, errdefs.ErrInvalidArgument)
	}
	return &res, nil
}

// resourcesFromFlags builds the patch from the flags that were given.
func resourcesFromFlags(f *flagSet, stderr io.Writer) (*specs.LinuxResources, error) {
	r := &specs.LinuxResources{Memory: &specs.LinuxMemory{}, CPU: &specs.LinuxCPU{}}
	value := f.value
	for _, name := range []string{"l3-cache-schema", "mem-bw-schema"} {
		if _, ok := value(name); ok {
			return nil, fmt.Errorf("--%s: Intel RDT is not supported by cais-runtime: %w", name, errdefs.ErrNotImplemented)
		}
	}
	for _, name := range []string{"kernel-memory", "kernel-memory-tcp"} {
		if _, ok := value(name); ok {
			fmt.Fprintf(stderr, "warning: --%s is obsolete and ignored\n", name)
		}
	}
	for _, p := range []struct {
		name string
		dst  **int64
	}{{"memory", &r.Memory.Limit}, {"memory-reservation", &r.Memory.Reservation}, {"memory-swap", &r.Memory.Swap}} {
		if v, ok := value(p.name); ok {
			n, err := parseMemory(v)
			if err != nil {
				return nil, fmt.Errorf("invalid value for --%s: %w", p.name, err)
			}
			*p.dst = &n
		}
	}
	for _, p := range []struct {
		name string
		dst  **uint64
	}{{"cpu-period", &r.CPU.Period}, {"cpu-share", &r.CPU.Shares}, {"cpu-rt-period", &r.CPU.RealtimePeriod}} {
		if v, ok := value(p.name); ok {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("invalid value for --%s: %v: %w", p.name, err, errdefs.ErrInvalidArgument)
			}
			*p.dst = &n
		}
	}
	for _, p := range []struct {
		name string
		dst  **int64
	}{{"cpu-quota", &r.CPU.Quota}, {"cpu-rt-runtime", &r.CPU.RealtimeRuntime}} {
		if v, ok := value(p.name); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("invalid value for --%s: %v: %w", p.name, err, errdefs.ErrInvalidArgument)
			}
			*p.dst = &n
		}
	}
	if v, ok := value("cpuset-cpus"); ok {
		r.CPU.Cpus = v
	}
	if v, ok := value("cpuset-mems"); ok {
		r.CPU.Mems = v
	}
	if v, ok := value("blkio-weight"); ok {
		n, err := strconv.ParseUint(v, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("invalid value for --blkio-weight: %v: %w", err, errdefs.ErrInvalidArgument)
		}
		w := uint16(n)
		r.BlockIO = &specs.LinuxBlockIO{Weight: &w}
	}
	if v, ok := value("pids-limit"); ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("invalid value for --pids-limit: %v: %w", err, errdefs.ErrInvalidArgument)
		}
		r.Pids = &specs.LinuxPids{Limit: &n}
	}
	return r, nil
}

// parseMemory parses a memory size as runc does (units.RAMInBytes), as an
// invalid-argument error when it is not one.
func parseMemory(s string) (int64, error) {
	n, err := units.RAMInBytes(s)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", err, errdefs.ErrInvalidArgument)
	}
	return n, nil
}
