package container

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/runtime/caps"
	"github.com/cais-project/cais/internal/runtime/console"
	"github.com/cais-project/cais/internal/runtime/initproto"
	"github.com/cais-project/cais/internal/runtime/nsenter"
	"github.com/cais-project/cais/internal/runtime/process"
)

// ExecOptions describe a process to run in a running container.
type ExecOptions struct {
	Process       *specs.Process
	ConsoleSocket string
	PidFile       string
	PreserveFDs   int
	IO            IO
}

// Exec starts a process in the container's namespaces and cgroup, with its
// own user, capabilities and the container's seccomp filter, and returns its
// pid once it is about to exec. The process is not the caller's child: a
// caller that waits for it must be a subreaper.
func (c *Container) Exec(ctx context.Context, o ExecOptions) (int, error) {
	unlock, err := c.lock()
	if err != nil {
		return 0, err
	}
	defer unlock()
	if st := c.Status(); st != Running && st != Created {
		return 0, fmt.Errorf("cannot exec in a %s container: %w", st, errdefs.ErrConflict)
	}
	p := o.Process
	if p == nil || len(p.Args) == 0 {
		return 0, fmt.Errorf("exec: no command given: %w", errdefs.ErrInvalidArgument)
	}
	if p.Cwd == "" {
		p.Cwd = "/"
	}
	if err := checkExecProcess(p, o); err != nil {
		return 0, err
	}
	full, err := c.state.FullSpec()
	if err != nil {
		return 0, err
	}
	spec := *full
	spec.Process = p
	spec.Hooks = nil
	cg, err := c.cgroup()
	if err != nil {
		return 0, err
	}
	filter, err := seccompProgram(c.root, &spec)
	if err != nil {
		return 0, err
	}
	var consoleConn *os.File
	if o.ConsoleSocket != "" {
		if consoleConn, err = console.Dial(o.ConsoleSocket); err != nil {
			return 0, err
		}
		defer consoleConn.Close()
	}
	proc, err := spawn(ctx, spawnOpts{
		req:         c.joinRequest(full),
		cfg:         &initproto.Config{ID: c.state.ID, Bundle: c.state.Bundle, Spec: &spec, Rootfs: c.state.Rootfs, Exec: true},
		seccomp:     filter,
		io:          o.IO,
		preserveFDs: o.PreserveFDs,
		console:     consoleConn,
		joinCgroup:  cg.Apply,
		hooks:       func(int) error { return nil },
	})
	if err != nil {
		return 0, err
	}
	if o.PidFile != "" {
		if err := writeFileAtomic(o.PidFile, []byte(strconv.Itoa(proc.pid)), 0o644); err != nil {
			proc.kill()
			return 0, fmt.Errorf("writing --pid-file: %w", err)
		}
	}
	return proc.pid, nil
}

// joinRequest asks nsenter to join every namespace of the container's init,
// forking so that a joined pid namespace applies.
func (c *Container) joinRequest(spec *specs.Spec) *nsenter.Request {
	r := &nsenter.Request{Fork: true}
	for _, ns := range spec.Linux.Namespaces {
		r.Join = append(r.Join, nsenter.Join{
			Type: nsFlag(ns.Type),
			Path: "/proc/" + strconv.Itoa(c.state.Pid) + "/ns/" + procNSName(ns.Type),
		})
	}
	return r
}

func procNSName(t specs.LinuxNamespaceType) string {
	switch t {
	case specs.MountNamespace:
		return "mnt"
	case specs.NetworkNamespace:
		return "net"
	}
	return string(t)
}

func checkExecProcess(p *specs.Process, o ExecOptions) error {
	if p.Capabilities != nil {
		if _, _, err := caps.Parse(p.Capabilities); err != nil {
			return err
		}
	}
	if err := process.CheckRlimits(p.Rlimits); err != nil {
		return err
	}
	if err := process.CheckLabels(p.ApparmorProfile, p.SelinuxLabel); err != nil {
		return invalid("%v", err)
	}
	if p.Terminal && o.ConsoleSocket == "" {
		return invalid("exec with a terminal needs --console-socket")
	}
	return nil
}
