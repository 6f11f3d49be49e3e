package cli

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cais-project/cais/internal/engine"
	"github.com/cais-project/cais/internal/units"
)

// updateFlags are Docker's `update` flags; only those given change.
type updateFlags struct {
	memory, memorySwap, cpus, cpusetCpus, restart string
	cpuShares, cpuQuota, cpuPeriod, pidsLimit     int64
	blkioWeight                                   uint16
}

func updateCmd(g *globals) *cobra.Command {
	var uf updateFlags
	c := &cobra.Command{
		Use:   "update [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Update configuration of one or more containers",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			o, err := uf.options(c.Flags())
			if err != nil {
				return err
			}
			ctx := c.Context()
			return eachContainer(ctx, g, args, "updating", func(e *engine.Engine, ctr *engine.Container) error {
				warnings, err := e.UpdateContainer(ctx, ctr, o)
				for _, w := range warnings {
					fmt.Fprintln(g.stderr, "WARNING:", w)
				}
				return err
			})
		},
	}
	f := c.Flags()
	f.StringVarP(&uf.memory, "memory", "m", "", "memory limit")
	f.StringVar(&uf.memorySwap, "memory-swap", "", `swap limit equal to memory plus swap: "-1" to enable unlimited swap`)
	f.StringVar(&uf.cpus, "cpus", "", "number of CPUs")
	f.Int64VarP(&uf.cpuShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	f.Int64Var(&uf.cpuQuota, "cpu-quota", 0, "limit CPU CFS (Completely Fair Scheduler) quota")
	f.Int64Var(&uf.cpuPeriod, "cpu-period", 0, "limit CPU CFS (Completely Fair Scheduler) period")
	f.StringVar(&uf.cpusetCpus, "cpuset-cpus", "", "CPUs in which to allow execution (0-3, 0,1)")
	f.Int64Var(&uf.pidsLimit, "pids-limit", 0, "tune container pids limit (set -1 for unlimited)")
	f.Uint16Var(&uf.blkioWeight, "blkio-weight", 0, "block IO (relative weight), between 10 and 1000, or 0 to disable")
	f.StringVar(&uf.restart, "restart", "", "restart policy to apply when a container exits")
	return c
}

// options turns the flags that were given into engine options; a value
// that does not parse is a usage error (exit 125), as in Docker.
func (uf *updateFlags) options(f *pflag.FlagSet) (engine.UpdateOptions, error) {
	var o engine.UpdateOptions
	n := 0
	for _, name := range []string{"memory", "memory-swap", "cpus", "cpu-shares", "cpu-quota", "cpu-period",
		"cpuset-cpus", "pids-limit", "blkio-weight", "restart"} {
		if f.Changed(name) {
			n++
		}
	}
	if n == 0 {
		return o, errors.New("you must provide one or more flags when using this command")
	}
	bytes := func(name, short, v string, allowUnlimited bool) (*int64, error) {
		if allowUnlimited && v == "-1" {
			x := int64(-1)
			return &x, nil
		}
		x, err := units.RAMInBytes(v)
		if err != nil || x < 0 {
			return nil, usageError{fmt.Errorf("invalid argument %q for \"%s--%s\" flag: invalid size", v, short, name)}
		}
		return &x, nil
	}
	var err error
	if f.Changed("memory") {
		if o.Memory, err = bytes("memory", "-m, ", uf.memory, false); err != nil {
			return o, err
		}
	}
	if f.Changed("memory-swap") {
		if o.MemorySwap, err = bytes("memory-swap", "", uf.memorySwap, true); err != nil {
			return o, err
		}
	}
	if f.Changed("cpus") {
		r, ok := new(big.Rat).SetString(uf.cpus)
		if !ok || r.Sign() < 0 {
			return o, usageError{fmt.Errorf("invalid argument %q for \"--cpus\" flag: failed to parse %s as a rational number", uf.cpus, uf.cpus)}
		}
		nano := new(big.Rat).Mul(r, big.NewRat(1e9, 1))
		if !nano.IsInt() {
			return o, usageError{fmt.Errorf("invalid argument %q for \"--cpus\" flag: value is too precise", uf.cpus)}
		}
		v := nano.Num().Int64()
		o.NanoCPUs = &v
	}
	set := func(name string, v int64) *int64 {
		if !f.Changed(name) {
			return nil
		}
		return &v
	}
	o.CPUShares = set("cpu-shares", uf.cpuShares)
	o.CPUQuota = set("cpu-quota", uf.cpuQuota)
	o.CPUPeriod = set("cpu-period", uf.cpuPeriod)
	o.PidsLimit = set("pids-limit", uf.pidsLimit)
	if f.Changed("cpuset-cpus") {
		o.CpusetCpus = &uf.cpusetCpus
	}
	if f.Changed("blkio-weight") {
		o.BlkioWeight = &uf.blkioWeight
	}
	if f.Changed("restart") {
		o.Restart = &uf.restart
	}
	return o, nil
}
