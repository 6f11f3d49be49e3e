package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/runtime/container"
)

type execFlags struct {
	processFile   string
	tty, detach   bool
	consoleSocket string
	pidFile       string
	env           []string
	cwd           string
	user          string
	addGids       []string
	caps          []string
	noNewPrivs    bool
	apparmor      string
	label         string
	preserveFDs   int
	ignorePaused  bool
	cgroup        string
}

func execCmd(g *globals) *command {
	f := &execFlags{}
	cmd := newCommand("exec [flags] CONTAINER_ID [COMMAND [ARGS...]]", "run a process in a running container", minArgs(1),
		func(cl *call) error {
			args := cl.args
			c, err := container.Load(g.root, args[0])
			if err != nil {
				return err
			}
			spec, err := c.State().FullSpec()
			if err != nil {
				return err
			}
			p, err := f.process(spec.Process, args[1:])
			if err != nil {
				return err
			}
			return runExec(cl.ctx, c, p, f)
		})
	// Everything after the container id belongs to the process.
	fl := cmd.flags
	fl.interspersed = false
	fl.stringVar(&f.processFile, "process", "p", "", "path to a process.json (runtime-spec process)")
	fl.boolVar(&f.tty, "tty", "t", "allocate a pseudo-TTY")
	fl.boolVar(&f.detach, "detach", "d", "detach from the process")
	fl.stringVar(&f.consoleSocket, "console-socket", "", "", "unix socket that receives the pty master")
	fl.stringVar(&f.pidFile, "pid-file", "", "", "file to write the process id to")
	fl.stringsVar(&f.env, "env", "e", "set an environment variable (VAR=VALUE)")
	fl.stringVar(&f.cwd, "cwd", "", "", "working directory in the container")
	fl.stringVar(&f.user, "user", "u", "", "UID[:GID] to run as")
	fl.stringsVar(&f.addGids, "additional-gids", "g", "additional gids")
	fl.stringsVar(&f.caps, "cap", "c", "add a capability to the bounding, effective, permitted and ambient sets")
	fl.boolVar(&f.noNewPrivs, "no-new-privs", "", "set no_new_privs for the process")
	fl.stringVar(&f.apparmor, "apparmor", "", "", "AppArmor profile of the process")
	fl.stringVar(&f.label, "process-label", "", "", "SELinux label of the process")
	fl.intVar(&f.preserveFDs, "preserve-fds", "", 0, "pass N more file descriptors (from 3) to the process")
	fl.boolVar(&f.ignorePaused, "ignore-paused", "", "accepted for runc compatibility")
	fl.stringVar(&f.cgroup, "cgroup", "", "", "accepted for runc compatibility (sub-cgroups are not supported)")
	return cmd
}

// process builds the process from --process, or from the container's own
// process with the command line's overrides, as runc does.
func (f *execFlags) process(base *specs.Process, args []string) (*specs.Process, error) {
	if f.processFile != "" {
		b, err := os.ReadFile(f.processFile)
		if err != nil {
			return nil, fmt.Errorf("--process: %w", err)
		}
		var p specs.Process
		if err := json.Unmarshal(b, &p); err != nil {
			return nil, fmt.Errorf("--process %s: %w", f.processFile, err)
		}
		return &p, nil
	}
	if len(args) == 0 {
		return nil, fmt.Errorf("exec: no command given (after the container id, or with --process)")
	}
	p := specs.Process{}
	if base != nil {
		p = *base
		p.Env = append([]string(nil), base.Env...)
		if base.Capabilities != nil {
			c := *base.Capabilities
			p.Capabilities = &c
		}
	}
	p.Args = args
	p.Terminal = f.tty
	p.ConsoleSize = nil
	p.Env = append(p.Env, f.env...)
	if f.cwd != "" {
		p.Cwd = f.cwd
	}
	if f.apparmor != "" {
		p.ApparmorProfile = f.apparmor
	}
	if f.label != "" {
		p.SelinuxLabel = f.label
	}
	if f.noNewPrivs {
		p.NoNewPrivileges = true
	}
	if f.user != "" {
		uid, gid, hasGid := strings.Cut(f.user, ":")
		u, err := strconv.ParseUint(uid, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("--user %q: uid must be a number", f.user)
		}
		p.User.UID = uint32(u)
		if hasGid {
			g, err := strconv.ParseUint(gid, 10, 32)
			if err != nil {
				return nil, fmt.Errorf("--user %q: gid must be a number", f.user)
			}
			p.User.GID = uint32(g)
		}
	}
	for _, s := range f.addGids {
		g, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("--additional-gids %q: not a number", s)
		}
		p.User.AdditionalGids = append(p.User.AdditionalGids, uint32(g))
	}
	if len(f.caps) > 0 {
		if p.Capabilities == nil {
			p.Capabilities = &specs.LinuxCapabilities{}
		}
		c := p.Capabilities
		c.Bounding = append(c.Bounding, f.caps...)
		c.Effective = append(c.Effective, f.caps...)
		c.Permitted = append(c.Permitted, f.caps...)
		c.Ambient = append(c.Ambient, f.caps...)
		c.Inheritable = append(c.Inheritable, f.caps...)
	}
	return &p, nil
}

func runExec(ctx context.Context, c *container.Container, p *specs.Process, f *execFlags) error {
	o := container.ExecOptions{
		Process: p, ConsoleSocket: f.consoleSocket, PidFile: f.pidFile, PreserveFDs: f.preserveFDs,
		IO: container.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr},
	}
	if f.detach {
		_, err := c.Exec(ctx, o)
		return err
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return err
	}
	var tty *ttyProxy
	if p.Terminal && f.consoleSocket == "" {
		var err error
		if tty, err = newTTYProxy(); err != nil {
			return err
		}
		defer tty.close()
		o.ConsoleSocket = tty.socketPath()
	}
	sigs := catchSignals()
	pid, err := c.Exec(ctx, o)
	if err != nil {
		return err
	}
	if tty != nil {
		if err := tty.start(); err != nil {
			unix.Kill(pid, unix.SIGKILL)
			return err
		}
	}
	code, err := container.WaitReap(pid, sigs)
	if tty != nil {
		tty.finish()
	}
	if err != nil {
		return err
	}
	return exitError{code: code}
}
