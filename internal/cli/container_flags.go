package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/cais-project/cais/internal/engine"
	"github.com/cais-project/cais/internal/engine/monitor"
	"github.com/cais-project/cais/internal/units"
)

// containerFlags are the flags create and run share: what a container is.
type containerFlags struct {
	o       engine.RunOptions
	memory  string
	more    moreFlags    // container_flags_more.go
	monitor monitorFlags // --log-opt and health checks (monitor_flags.go)
}

func (cf *containerFlags) register(f *pflag.FlagSet, verb string) {
	o := &cf.o
	f.BoolVar(&o.AutoRemove, "rm", false, "remove the container when it exits")
	f.BoolVarP(&o.Interactive, "interactive", "i", false, "keep the container's stdin open and send it this command's")
	f.BoolVarP(&o.Tty, "tty", "t", false, "give the container a terminal")
	f.StringVar(&o.Restart, "restart", "no", `restart policy: "no", "on-failure[:N]", "always" or "unless-stopped"`)
	f.StringVar(&o.Name, "name", "", "name of the container")
	stringListVarP(f, &o.Env, "env", "e", "set an environment variable K=V (repeatable)")
	stringListVarP(f, &o.Volumes, "volume", "v", "bind mount a volume: [NAME|/host:]/container[:ro] (repeatable)")
	registerMountFlags(f, &o.MountOptions)
	registerNetworkFlags(f, &o.Net)
	f.StringVar(&o.Runtime, "runtime", "", "OCI runtime: cais-runtime (default), runc, or a path")
	// Docker's -h is the host name, so help has no shorthand here.
	f.Bool("help", false, "help for "+verb)
	f.StringVarP(&o.Hostname, "hostname", "h", "", "container host name")
	f.StringVarP(&cf.memory, "memory", "m", "", "memory limit (e.g. 64m)")
	f.Int64Var(&o.PidsLimit, "pids-limit", 0, "limit the number of processes (0: no limit)")
	stringListVar(f, &o.SecurityOpt, "security-opt", `security options: "seccomp=unconfined", "seccomp=<profile.json>", "no-new-privileges" (repeatable)`)
	registerDNSFlags(f, &o.DNS)
	cf.more.register(f, &o.Settings)
	cf.monitor.register(f)
}

// options completes the options for IMAGE [CMD...]; what is wrong with the
// flags is said on stderr and exits 125, as Docker does.
func (cf *containerFlags) options(g *globals, args []string) (engine.RunOptions, error) {
	o := cf.o
	o.Image, o.Cmd = args[0], args[1:]
	if o.AutoRemove && o.Restart != "" && o.Restart != "no" {
		fmt.Fprintln(g.stderr, "cais: Conflicting options: --restart and --rm")
		return o, exitError{exitUsage}
	}
	if cf.memory != "" {
		n, err := units.RAMInBytes(cf.memory)
		if err != nil || n < 0 {
			fmt.Fprintf(g.stderr, "cais: invalid argument %q for \"-m, --memory\" flag\n", cf.memory)
			return o, exitError{exitUsage}
		}
		o.Memory = n
	}
	if err := cf.more.complete(g, &o); err != nil {
		return o, err
	}
	if err := cf.monitor.options(&o.Monitor); err != nil {
		fmt.Fprintf(g.stderr, "cais: %v\n", err)
		return o, exitError{exitUsage}
	}
	return o, nil
}

// createFailed reports a container that could not be created, with
// Docker's exit codes: 126/127 when the command cannot run, else 125.
func createFailed(g *globals, err error) error {
	fmt.Fprintf(g.stderr, "cais: %v\n", err)
	var ce *monitor.CreateError
	if errors.As(err, &ce) && (ce.ExitCode == 126 || ce.ExitCode == 127) {
		return exitError{ce.ExitCode}
	}
	return exitError{exitUsage}
}
