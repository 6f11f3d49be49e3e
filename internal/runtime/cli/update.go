package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

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

func updateCmd(g *globals) *cobra.Command {
	var resources string
	cmd := &cobra.Command{
		Use:   "update [flags] CONTAINER_ID",
		Short: "update a container's resource limits",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var patch *specs.LinuxResources
			var err error
			if resources != "" {
				patch, err = readResources(resources, cmd.InOrStdin())
			} else {
				patch, err = resourcesFromFlags(cmd.Flags(), cmd.ErrOrStderr())
			}
			if err != nil {
				return err
			}
			c, err := container.Load(g.root, args[0])
			if err != nil {
				return err
			}
			return c.Update(patch)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&resources, "resources", "r", "", updateResourcesUsage)
	f.String("blkio-weight", "", "per-cgroup block I/O weight, 10 to 1000")
	f.String("cpu-period", "", "CPU CFS period (usecs) for hard capping; 0 for the system default")
	f.String("cpu-quota", "", "CPU CFS hard cap (usecs) in a period")
	f.String("cpu-share", "", "CPU shares (relative weight against other containers)")
	f.String("cpu-rt-period", "", "CPU realtime period (usecs); 0 for the system default")
	f.String("cpu-rt-runtime", "", "CPU realtime hard cap (usecs) in a period")
	f.String("cpuset-cpus", "", "CPUs to use (0-3, 0,1)")
	f.String("cpuset-mems", "", "memory nodes to use (0-3, 0,1)")
	f.String("memory", "", "memory limit in bytes (suffixes k, m, g... accepted; -1: unlimited)")
	f.String("memory-reservation", "", "memory soft limit in bytes")
	f.String("memory-swap", "", "memory plus swap limit in bytes; -1: unlimited swap")
	f.String("pids-limit", "", "maximum number of processes; 0 or -1: unlimited")
	f.String("l3-cache-schema", "", "Intel RDT/CAT L3 cache schema (not supported)")
	f.String("mem-bw-schema", "", "Intel RDT/MBA memory bandwidth schema (not supported)")
	f.String("kernel-memory", "", "obsolete, ignored")
	f.String("kernel-memory-tcp", "", "obsolete, ignored")
	f.MarkHidden("kernel-memory")
	f.MarkHidden("kernel-memory-tcp")
	// runc spells it --cpu-share; Docker's users type --cpu-shares.
	f.SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		if name == "cpu-shares" {
			name = "cpu-share"
		}
		return pflag.NormalizedName(name)
	})
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
func resourcesFromFlags(f *pflag.FlagSet, stderr io.Writer) (*specs.LinuxResources, error) {
	r := &specs.LinuxResources{Memory: &specs.LinuxMemory{}, CPU: &specs.LinuxCPU{}}
	value := func(name string) (string, bool) {
		if !f.Changed(name) {
			return "", false
		}
		v, _ := f.GetString(name)
		return v, true
	}
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
