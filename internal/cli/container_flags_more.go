package cli

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/cais-project/cais/internal/engine"
)

// moreFlags are the create/run flags that fill engine.Settings, plus the
// ones read before they can: the env and label files, and the flags whose
// being given matters (--entrypoint "", --stop-timeout).
type moreFlags struct {
	f                  *pflag.FlagSet
	envFiles           []string
	labels, labelFiles []string
	entrypoint         string
	stopTimeout        int
}

func (m *moreFlags) register(f *pflag.FlagSet, s *engine.Settings) {
	m.f = f
	stringListVar(f, &m.envFiles, "env-file", "read environment variables from a file (repeatable)")
	f.StringVarP(&s.User, "user", "u", "", "user name or UID, with an optional group (<name|uid>[:<group|gid>])")
	f.StringVarP(&s.WorkingDir, "workdir", "w", "", "working directory inside the container")
	f.StringVar(&m.entrypoint, "entrypoint", "", `replace the image's entrypoint ("" clears it)`)
	f.BoolVar(&s.ReadOnly, "read-only", false, "mount the container's root filesystem read-only")
	f.BoolVar(&s.Privileged, "privileged", false, "give the container all capabilities and devices")
	stringListVar(f, &s.CapAdd, "cap-add", "add a Linux capability (repeatable; ALL for all)")
	stringListVar(f, &s.CapDrop, "cap-drop", "drop a Linux capability (repeatable; ALL for all)")
	stringListVar(f, &s.Devices, "device", "add a host device: /dev/host[:/dev/container][:rwm] (repeatable)")
	stringListVar(f, &s.Ulimits, "ulimit", "ulimit option: name=soft[:hard] (repeatable)")
	f.Var(mapValue{&s.Sysctls}, "sysctl", "namespaced kernel parameter KEY=VALUE (repeatable)")
	f.Var(bytesValue{n: &s.ShmSize}, "shm-size", "size of /dev/shm (default 64m)")
	f.BoolVar(&s.Init, "init", false, "run an init (tini) as pid 1 that forwards signals and reaps processes")
	f.Var(bytesValue{n: &s.MemorySwap, allowUnlimited: true}, "memory-swap", "memory plus swap limit; -1 for unlimited swap")
	f.Var(cpusValue{&s.NanoCPUs}, "cpus", "number of CPUs (e.g. 1.5)")
	f.Int64VarP(&s.CPUShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	f.StringVar(&s.CpusetCpus, "cpuset-cpus", "", "CPUs in which to allow execution (0-3, 0,1)")
	f.Uint16Var(&s.BlkioWeight, "blkio-weight", 0, "block IO relative weight, 10 to 1000 (0: none)")
	f.IntVar(&s.OOMScoreAdj, "oom-score-adj", 0, "tune the host's OOM preferences (-1000 to 1000)")
	stringListVarP(f, &m.labels, "label", "l", "set a label KEY=VALUE (repeatable)")
	stringListVar(f, &m.labelFiles, "label-file", "read labels from a file (repeatable)")
	f.StringVar(&s.StopSignal, "stop-signal", "", "signal to stop the container (default SIGTERM or the image's)")
	f.IntVar(&m.stopTimeout, "stop-timeout", 0, "seconds to wait for the container to stop before killing it")
	f.StringVar(&s.Platform, "platform", "", "set the platform (os/arch[/variant]) when pulling")
	s.Pull = "missing"
	f.Var(pullValue{&s.Pull}, "pull", `pull image before running: "always", "missing" or "never"`)
}

// complete reads the files and applies what depends on a flag being given;
// a bad value is said on stderr and exits 125.
func (m *moreFlags) complete(g *globals, o *engine.RunOptions) error {
	fail := func(format string, a ...any) error {
		fmt.Fprintf(g.stderr, "cais: "+format+"\n", a...)
		return exitError{exitUsage}
	}
	var env []string
	for _, p := range m.envFiles {
		kv, err := readKVFile(p, hostEnv)
		if err != nil {
			return fail("--env-file: %v", err)
		}
		env = append(env, kv...)
	}
	for _, e := range o.Env { // -e after the files, as Docker: it wins
		kv, err := keyValues([]string{e}, hostEnv)
		if err != nil {
			return fail("-e, --env: %v", err)
		}
		env = append(env, kv...)
	}
	o.Env = env

	var labels []string
	for _, p := range m.labelFiles {
		kv, err := readKVFile(p, bareLabel)
		if err != nil {
			return fail("--label-file: %v", err)
		}
		labels = append(labels, kv...)
	}
	kv, err := keyValues(m.labels, bareLabel)
	if err != nil {
		return fail("-l, --label: %v", err)
	}
	o.Labels = nil
	for _, l := range append(labels, kv...) {
		if o.Labels == nil {
			o.Labels = map[string]string{}
		}
		k, v, _ := cutKV(l)
		o.Labels[k] = v
	}

	if m.f.Changed("entrypoint") {
		o.EntrypointSet = true
		o.Entrypoint = nil
		if m.entrypoint != "" {
			o.Entrypoint = []string{m.entrypoint}
		}
	}
	if m.f.Changed("stop-timeout") {
		t := m.stopTimeout
		o.StopTimeout = &t
	}
	if o.StopSignal != "" {
		if _, err := engine.ParseSignal(o.StopSignal); err != nil {
			return fail("invalid argument %q for \"--stop-signal\" flag: not a signal name or number", o.StopSignal)
		}
	}
	if o.WorkingDir != "" && o.WorkingDir[0] != '/' {
		return fail("invalid argument %q for \"-w, --workdir\" flag: the working directory must be an absolute path", o.WorkingDir)
	}
	return nil
}

// keyValues applies the bare-NAME rule to -e and -l values.
func keyValues(vals []string, bare func(string) (string, bool)) ([]string, error) {
	var out []string
	for _, v := range vals {
		k, _, has := cutKV(v)
		switch {
		case k == "":
			return nil, fmt.Errorf("invalid value %q: no name before '='", v)
		case has:
			out = append(out, v)
		default:
			if e, ok := bare(k); ok {
				out = append(out, e)
			}
		}
	}
	return out, nil
}
