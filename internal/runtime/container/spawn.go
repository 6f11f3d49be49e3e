package container

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/cyphar/filepath-securejoin/pathrs-lite/procfs"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/runtime/cinit"
	"github.com/cais-project/cais/internal/runtime/initproto"
	"github.com/cais-project/cais/internal/runtime/nsenter"
	"github.com/cais-project/cais/internal/runtime/rootfs"
	"github.com/cais-project/cais/internal/runtime/seccomp"
)

// IO is the standard streams the container's process inherits when it has
// no terminal.
type IO struct {
	Stdin, Stdout, Stderr *os.File
}

// spawnOpts says how to start one init (or exec'd) process.
type spawnOpts struct {
	req         *nsenter.Request
	cfg         *initproto.Config
	io          IO
	preserveFDs int
	console     *os.File // connected console socket, or nil
	fifo        *os.File // O_PATH exec fifo, or nil for exec
	// joinCgroup places the first process in the container's cgroup.
	joinCgroup func(pid int) error
	// hooks runs the prestart and createRuntime hooks for the init's pid.
	hooks func(pid int) error
	// idMaps, when set, are written for the new user namespace.
	idMaps *specs.Linux
	// seccomp, when set, waits for the compiled seccomp program, which
	// goes into cfg: it may still be compiling while the init starts.
	seccomp func() (*seccomp.Program, error)
	// plan is the rootfs plan of a new container (nil for exec); with it
	// the C init can run (package cinit).
	plan *rootfs.Plan
}

// initProc is a started init: its pid, and the direct child to reap (the
// nsenter intermediate, or the init itself).
type initProc struct {
	pid   int
	child *child
}

// spawn starts the init, walks it through the nsenter handshake and the
// initproto steps, and returns when it is ready (waiting for start). On
// error nothing it started is left running.
func spawn(ctx context.Context, o spawnOpts) (p *initProc, err error) {
	self, err := sealedSelf()
	if err != nil {
		return nil, err
	}
	defer self.Close()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socketpair: %w", err)
	}
	// Our end is non-blocking, so os.File reads it through the poller:
	// waiting on a blocking read keeps Go's sysmon thread polling every
	// 20 µs meanwhile (procwait's doc says what that costs). The child's
	// end stays blocking for the C constructor.
	if err := unix.SetNonblock(fds[0], true); err != nil {
		unix.Close(fds[0])
		unix.Close(fds[1])
		return nil, fmt.Errorf("socketpair: %w", err)
	}
	parentEnd := os.NewFile(uintptr(fds[0]), "init-sync")
	childEnd := os.NewFile(uintptr(fds[1]), "init-sync-child")
	defer parentEnd.Close()
	defer childEnd.Close()

	// fds in the child: 0-2 stdio, 3.. the preserved ones, then ours.
	var extra []*os.File
	for i := 0; i < o.preserveFDs; i++ {
		extra = append(extra, os.NewFile(uintptr(3+i), "preserved-"+strconv.Itoa(3+i)))
	}
	next := 3 + o.preserveFDs
	syncFD := next
	extra = append(extra, childEnd)
	next++
	o.cfg.FifoFD = -1
	if o.fifo != nil {
		o.cfg.FifoFD = next
		extra = append(extra, o.fifo)
		next++
	}
	if o.console != nil {
		o.cfg.ConsoleSocketFD = next
		extra = append(extra, o.console)
	}
	o.cfg.PreserveFDs = o.preserveFDs

	path := "/proc/self/fd/" + strconv.Itoa(int(self.Fd()))
	// One P: the init does one thing at a time, and every extra thread Go
	// starts for parallel work costs it a clone and page faults (bootstrap
	// removes the variable again).
	env := []string{nsenter.EnvName + "=" + strconv.Itoa(syncFD), "GOMAXPROCS=1"}
	// The C init, when it covers this config, saves the init a Go runtime
	// boot; it runs no hooks, so there is no hook round trip either.
	useC, _ := cinit.Usable(o.cfg)
	useC = useC && (o.cfg.Exec || o.plan != nil)
	o.req.CInit = useC
	hs := nsenter.NewHandshake(parentEnd)
	if err := hs.Send(o.req); err != nil {
		return nil, err
	}
	c, err := startChild(path, []string{"cais-runtime", "init"}, env, o.io, extra)
	if err != nil {
		return nil, fmt.Errorf("starting the container's init: %w", err)
	}
	childEnd.Close()
	p = &initProc{child: c}
	defer func() {
		if err != nil {
			p.kill()
		}
	}()

	first, err := hs.Hello()
	if err != nil {
		return p, p.explain(err)
	}
	if err := o.joinCgroup(first); err != nil {
		return p, err
	}
	if o.idMaps != nil {
		if err := writeIDMaps(first, o.idMaps); err != nil {
			return p, err
		}
	}
	if err := hs.Ack(); err != nil {
		return p, err
	}
	if p.pid, err = hs.Pid(); err != nil {
		return p, p.explain(err)
	}
	// The init's Go runtime is booting now: send its config first, then
	// reap the intermediate, so the init does not wait for that.
	conn := initproto.New(parentEnd)
	o.cfg.HostPid = p.pid
	if o.seccomp != nil {
		if o.cfg.Seccomp, err = o.seccomp(); err != nil {
			return p, err
		}
	}
	if useC {
		prog, err := cinit.Program(o.cfg, o.plan)
		if err != nil {
			return p, err
		}
		if err := sendProgram(parentEnd, prog); err != nil {
			return p, err
		}
	} else if err := conn.SendConfig(o.cfg); err != nil {
		return p, err
	}
	if p.pid != first {
		// The intermediate process exits at once; reap it.
		err := p.child.wait()
		p.child = nil
		if err != nil {
			return p, fmt.Errorf("nsenter intermediate process: %w", err)
		}
	}
	if !o.cfg.Exec && !useC {
		if _, err := conn.AwaitHookRequest(); err != nil {
			return p, p.explain(err)
		}
		herr := o.hooks(p.pid)
		if err := conn.HooksDone(herr); err != nil {
			return p, err
		}
		if herr != nil {
			return p, herr
		}
	}
	if err := conn.AwaitReady(); err != nil {
		return p, p.explain(err)
	}
	return p, nil
}

// sendProgram writes the C init's program in initproto's framing.
func sendProgram(w io.Writer, prog []byte) error {
	buf := make([]byte, 8, 8+len(prog))
	binary.LittleEndian.PutUint32(buf, nsenter.MsgProgram)
	binary.LittleEndian.PutUint32(buf[4:], uint32(len(prog)))
	if _, err := w.Write(append(buf, prog...)); err != nil {
		return fmt.Errorf("sending the init program: %w", err)
	}
	return nil
}

// explain turns a broken conversation into the child's own error, or its
// exit status when it could not say anything.
func (p *initProc) explain(err error) error {
	if errors.Is(err, initproto.ErrChild) || errors.Is(err, nsenter.ErrConstructor) {
		return err
	}
	if p.child != nil {
		p.child.kill()
		werr := p.child.wait()
		p.child = nil
		if werr != nil {
			return fmt.Errorf("container init exited before it was ready (%v): %w", werr, err)
		}
	}
	return err
}

// kill stops whatever spawn started and reaps what is ours to reap.
func (p *initProc) kill() {
	if p.pid > 0 {
		unix.Kill(p.pid, unix.SIGKILL)
	}
	if p.child != nil {
		p.child.kill()
		p.child.wait()
		p.child = nil
	}
	if p.pid > 0 {
		// Not our child when nsenter forked: wait until it is gone.
		if start, _, err := procStart(p.pid); err == nil {
			waitGone(p.pid, start, defaultKillWait)
		}
	}
}

// writeIDMaps writes the user namespace's id maps for pid through a procfs
// handle the runtime opened and verified itself.
func writeIDMaps(pid int, l *specs.Linux) error {
	proc, err := procfs.OpenProcRoot()
	if err != nil {
		return fmt.Errorf("opening procfs: %w", err)
	}
	defer proc.Close()
	write := func(name, data string) error {
		h, err := proc.OpenPid(pid, name)
		if err != nil {
			return fmt.Errorf("opening /proc/%d/%s: %w", pid, name, err)
		}
		defer h.Close()
		f, err := pathrs.Reopen(h, unix.O_WRONLY|unix.O_CLOEXEC)
		if err != nil {
			return fmt.Errorf("opening /proc/%d/%s: %w", pid, name, err)
		}
		defer f.Close()
		if _, err := f.WriteString(data); err != nil {
			return fmt.Errorf("writing %q to /proc/%d/%s: %w", data, pid, name, err)
		}
		return nil
	}
	if err := write("uid_map", formatMap(l.UIDMappings)); err != nil {
		return fmt.Errorf("linux.uidMappings: %w", err)
	}
	if err := write("gid_map", formatMap(l.GIDMappings)); err != nil {
		return fmt.Errorf("linux.gidMappings: %w", err)
	}
	return nil
}

func formatMap(m []specs.LinuxIDMapping) string {
	var b strings.Builder
	for _, e := range m {
		fmt.Fprintf(&b, "%d %d %d\n", e.ContainerID, e.HostID, e.Size)
	}
	return b.String()
}

// nsenterRequest turns the config's namespaces into the constructor's request.
func nsenterRequest(s *specs.Spec) *nsenter.Request {
	r := &nsenter.Request{}
	for _, ns := range s.Linux.Namespaces {
		flag := nsFlag(ns.Type)
		if ns.Path == "" {
			r.CloneFlags |= uintptr(flag)
		} else {
			r.Join = append(r.Join, nsenter.Join{Type: flag, Path: ns.Path})
		}
	}
	for name, off := range s.Linux.TimeOffsets {
		clock := int32(unix.CLOCK_MONOTONIC)
		if name == "boottime" {
			clock = unix.CLOCK_BOOTTIME
		}
		r.TimeOffsets = append(r.TimeOffsets, nsenter.TimeOffset{Clock: clock, Sec: off.Secs, Nanosec: int64(off.Nanosecs)})
	}
	return r
}

func nsFlag(t specs.LinuxNamespaceType) int {
	switch t {
	case specs.PIDNamespace:
		return unix.CLONE_NEWPID
	case specs.NetworkNamespace:
		return unix.CLONE_NEWNET
	case specs.MountNamespace:
		return unix.CLONE_NEWNS
	case specs.IPCNamespace:
		return unix.CLONE_NEWIPC
	case specs.UTSNamespace:
		return unix.CLONE_NEWUTS
	case specs.UserNamespace:
		return unix.CLONE_NEWUSER
	case specs.CgroupNamespace:
		return unix.CLONE_NEWCGROUP
	case specs.TimeNamespace:
		return unix.CLONE_NEWTIME
	}
	return 0
}
