package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/cyphar/filepath-securejoin/pathrs-lite/procfs"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/runtime/caps"
	"github.com/cais-project/cais/internal/runtime/console"
	"github.com/cais-project/cais/internal/runtime/hooks"
	"github.com/cais-project/cais/internal/runtime/initproto"
	"github.com/cais-project/cais/internal/runtime/nsenter"
	"github.com/cais-project/cais/internal/runtime/process"
	"github.com/cais-project/cais/internal/runtime/rootfs"
	"github.com/cais-project/cais/internal/runtime/seccomp"
)

// Main runs the init when this process was started as one, and never
// returns then. Otherwise it returns at once.
func Main() {
	sync, ok := nsenter.InChild()
	if !ok {
		return
	}
	// Set by the runtime for this process only (one P, fewer threads);
	// hooks and the program get the environment the spec gives them.
	os.Unsetenv("GOMAXPROCS")
	runtime.LockOSThread()
	conn := initproto.New(sync)
	cfg, err := conn.ReceiveConfig()
	if err != nil {
		os.Exit(1)
	}
	i := &initProcess{cfg: cfg, spec: cfg.Spec, conn: conn, agent: -1}
	err = i.run()
	// run returns only on failure: success ends in execve.
	conn.Fail(err)
	os.Exit(1)
}

type initProcess struct {
	cfg  *initproto.Config
	spec *specs.Spec
	conn *initproto.Conn

	plan   *rootfs.Plan
	caps   *caps.Set
	filter *seccomp.Program
	path   string   // the program, found in the container's PATH
	fifo   *os.File // the exec fifo's write end, held until execve
	// agent is a connection to the seccomp notify agent, made before
	// pivot_root while linux.seccomp.listenerPath still resolves.
	agent int
}

type step struct {
	name string
	do   func() error
}

func (i *initProcess) run() error {
	steps := i.createSteps()
	if i.cfg.Exec {
		steps = i.execSteps()
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return i.exec()
}

// createSteps set up a new container, from mounts to waiting for start.
func (i *initProcess) createSteps() []step {
	return []step{
		{"checking the configuration", i.prepare},
		{"preparing the root filesystem", i.mountRootfs},
		{"running hooks", i.createHooks},
		{"switching to the root filesystem", i.pivotRoot},
		{"creating the working directory", i.makeCwd},
		{"setting up the console", i.console},
		{"masking paths", i.finalizeRootfs},
		{"setting the hostname", i.hostname},
		{"setting sysctls", i.sysctls},
		{"joining a session keyring", i.keyring},
		{"setting process attributes", i.attributes},
		{"changing directory", i.chdir},
		{"finding the program", i.lookPath},
		{"loading seccomp (without no_new_privs)", i.seccompEarly},
		{"setting the user and capabilities", i.user},
		{"setting no_new_privs", i.noNewPrivs},
		{"closing inherited file descriptors", i.closeFDs},
		{"reporting ready", i.conn.Ready},
		{"waiting for start", i.waitStart},
		{"running startContainer hooks", i.startHooks},
		{"loading seccomp", i.seccompLate},
	}
}

// execSteps prepare a process that joins a running container: nsenter has
// already put it in the container's namespaces and cgroup, and its root is
// the container's.
func (i *initProcess) execSteps() []step {
	return []step{
		{"checking the configuration", i.prepareProcess},
		{"setting up the console", i.console},
		{"setting process attributes", i.attributes},
		{"changing directory", i.chdir},
		{"finding the program", i.lookPath},
		{"loading seccomp (without no_new_privs)", i.seccompEarly},
		{"setting the user and capabilities", i.user},
		{"setting no_new_privs", i.noNewPrivs},
		{"closing inherited file descriptors", i.closeFDs},
		{"reporting ready", i.conn.Ready},
		{"loading seccomp", i.seccompLate},
	}
}

func (i *initProcess) prepare() error {
	var err error
	opts := rootfs.Options{
		NoPivot:     i.cfg.NoPivot,
		CgroupPaths: i.cfg.CgroupPaths,
		UserNS:      hasNamespace(i.spec, specs.UserNamespace),
		NetNS:       hasNamespace(i.spec, specs.NetworkNamespace),
	}
	if i.plan, err = rootfs.NewPlan(i.spec, i.cfg.Bundle, opts); err != nil {
		return err
	}
	return i.prepareProcess()
}

// prepareProcess parses what the process itself needs: capabilities, and
// the agent connection when the seccomp filter notifies.
func (i *initProcess) prepareProcess() error {
	var err error
	if c := i.spec.Process.Capabilities; c != nil {
		if i.caps, _, err = caps.Parse(c); err != nil {
			return err
		}
	} else if i.caps, _, err = caps.Parse(&specs.LinuxCapabilities{}); err != nil {
		return err
	}
	if sc := i.spec.Linux.Seccomp; sc != nil {
		// The runtime compiled the profile (or found it in its cache).
		if i.filter = i.cfg.Seccomp; i.filter == nil {
			return fmt.Errorf("linux.seccomp: the runtime sent no compiled filter")
		}
		if i.filter.NeedsListener() {
			// Still in the runtime's mount namespace view of the host
			// for create; exec has joined the container's already, so
			// the path must resolve there (as for runc).
			if i.agent, err = seccomp.DialListener(sc.ListenerPath); err != nil {
				return err
			}
		}
	}
	return nil
}

func (i *initProcess) mountRootfs() error { return i.plan.Prepare() }

// createHooks has the runtime run prestart and createRuntime hooks (in its
// namespaces), then runs createContainer hooks here, in the container's
// namespaces, before pivot_root, as runtime-spec orders them.
func (i *initProcess) createHooks() error {
	if err := i.conn.RequestHooks(os.Getpid()); err != nil {
		return err
	}
	if err := i.conn.AwaitHooksDone(); err != nil {
		return err
	}
	if h := i.spec.Hooks; h != nil && len(h.CreateContainer) > 0 {
		return hooks.RunAll(context.Background(), "createContainer", h.CreateContainer, i.state(specs.StateCreating))
	}
	return nil
}

// state is the container state hooks and the seccomp agent get; its pid is
// the host's view of this process, not 1 in a pid namespace.
func (i *initProcess) state(status specs.ContainerState) *specs.State {
	pid := i.cfg.HostPid
	if pid == 0 {
		pid = os.Getpid()
	}
	return &specs.State{Version: specs.Version, ID: i.cfg.ID, Status: status, Pid: pid, Bundle: i.cfg.Bundle, Annotations: i.spec.Annotations}
}

func (i *initProcess) pivotRoot() error { return i.plan.PivotRoot() }

// console creates the pty inside the container, hands its master to the
// caller's console socket and makes the slave the process's terminal.
func (i *initProcess) console() error {
	if !i.spec.Process.Terminal {
		return nil
	}
	master, slave, _, err := console.NewPty()
	if err != nil {
		return err
	}
	defer master.Close()
	if sz := i.spec.Process.ConsoleSize; sz != nil {
		if err := console.SetSize(master, console.WinSize{Height: uint16(sz.Height), Width: uint16(sz.Width)}); err != nil {
			return err
		}
	}
	sock := os.NewFile(uintptr(i.cfg.ConsoleSocketFD), "console-socket")
	defer sock.Close()
	if err := console.SendMaster(sock, master); err != nil {
		return err
	}
	if !i.cfg.Exec {
		if err := rootfs.BindConsole(slave); err != nil {
			return err
		}
	}
	return console.SetupSlaveAsControlling(slave)
}

func (i *initProcess) finalizeRootfs() error { return i.plan.Finalize() }

func (i *initProcess) hostname() error {
	if h := i.spec.Hostname; h != "" {
		if err := unix.Sethostname([]byte(h)); err != nil {
			return fmt.Errorf("hostname %q: %w", h, err)
		}
	}
	if d := i.spec.Domainname; d != "" {
		if err := unix.Setdomainname([]byte(d)); err != nil {
			return fmt.Errorf("domainname %q: %w", d, err)
		}
	}
	return nil
}

// sysctls writes linux.sysctl through a procfs the runtime opened and
// verified, not through whatever is mounted at the container's /proc.
func (i *initProcess) sysctls() error {
	if len(i.spec.Linux.Sysctl) == 0 && i.spec.Process.OOMScoreAdj == nil {
		return nil
	}
	proc, err := procfs.OpenProcRoot()
	if err != nil {
		return fmt.Errorf("opening procfs: %w", err)
	}
	defer proc.Close()
	for key, value := range i.spec.Linux.Sysctl {
		rel := "sys/" + strings.ReplaceAll(key, ".", "/")
		if err := writeProc(proc.OpenRoot, rel, value); err != nil {
			return fmt.Errorf("linux.sysctl %q: %w", key, err)
		}
	}
	if adj := i.spec.Process.OOMScoreAdj; adj != nil {
		if err := writeProc(proc.OpenSelf, "oom_score_adj", fmt.Sprint(*adj)); err != nil {
			return fmt.Errorf("process.oomScoreAdj: %w", err)
		}
	}
	return nil
}

func writeProc(open func(string) (*os.File, error), rel, value string) error {
	h, err := open(rel)
	if err != nil {
		return err
	}
	defer h.Close()
	f, err := pathrs.Reopen(h, unix.O_WRONLY|unix.O_CLOEXEC)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteString(value)
	return err
}

func (i *initProcess) keyring() error {
	if i.cfg.NoNewKeyring {
		return nil
	}
	_, err := unix.KeyctlJoinSessionKeyring("_ses." + i.cfg.ID)
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) {
		return nil // keyrings unavailable here; not fatal, as in runc
	}
	return err
}

func (i *initProcess) attributes() error {
	p := i.spec.Process
	if err := process.SetRlimits(p.Rlimits); err != nil {
		return err
	}
	if err := process.SetPersonality(i.spec.Linux.Personality); err != nil {
		return err
	}
	if err := process.SetScheduler(p.Scheduler); err != nil {
		return err
	}
	if err := process.SetIOPriority(p.IOPriority); err != nil {
		return err
	}
	return process.SetLabels(p.ApparmorProfile, p.SelinuxLabel)
}

// makeCwd creates a missing process.cwd as root, before the root and the
// read-only paths become read-only (chdir runs after that, as the user).
func (i *initProcess) makeCwd() error {
	cwd := i.spec.Process.Cwd
	if err := os.MkdirAll(cwd, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("process.cwd %q: %w", cwd, err)
	}
	return nil
}

// chdir enters process.cwd and checks that the result is inside the
// container's root (CVE-2024-21626: a cwd leading out through a leaked fd).
func (i *initProcess) chdir() error {
	cwd := i.spec.Process.Cwd
	if !i.cfg.Exec {
		if err := os.MkdirAll(cwd, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("process.cwd %q: %w", cwd, err)
		}
	}
	if err := unix.Chdir(cwd); err != nil {
		return fmt.Errorf("process.cwd %q: %w", cwd, err)
	}
	got, err := unix.Getwd()
	if err != nil || !strings.HasPrefix(got, "/") {
		return fmt.Errorf("process.cwd %q: resolves outside the container (%q): %w", cwd, got, unix.EPERM)
	}
	return nil
}

func (i *initProcess) lookPath() error {
	var err error
	i.path, err = process.LookPath(i.spec.Process.Args[0], i.spec.Process.Env)
	return err
}

func (i *initProcess) seccompEarly() error {
	if i.filter == nil || i.spec.Process.NoNewPrivileges {
		return nil
	}
	return i.loadSeccomp()
}

func (i *initProcess) seccompLate() error {
	if i.filter == nil || !i.spec.Process.NoNewPrivileges {
		return nil
	}
	return i.loadSeccomp()
}

func (i *initProcess) loadSeccomp() error {
	fd, err := i.filter.Load()
	if err != nil {
		return err
	}
	if fd >= 0 {
		defer unix.Close(fd)
		sc := i.spec.Linux.Seccomp
		st := specs.ContainerProcessState{
			Version: specs.Version, Fds: []string{specs.SeccompFdName}, Pid: os.Getpid(),
			Metadata: sc.ListenerMetadata, State: *i.state(specs.StateCreating),
		}
		defer unix.Close(i.agent)
		return seccomp.SendListenerOn(i.agent, st, []int{fd})
	}
	return nil
}

func (i *initProcess) user() error {
	u := i.spec.Process.User
	if err := i.caps.ApplyBounding(); err != nil {
		return err
	}
	return i.caps.ApplyAroundUserChange(func() error { return process.SetUser(u, setgroupsAllowed) })
}

func setgroupsAllowed() bool {
	b, err := os.ReadFile("/proc/self/setgroups")
	return err != nil || strings.TrimSpace(string(b)) != "deny"
}

func (i *initProcess) noNewPrivs() error {
	if !i.spec.Process.NoNewPrivileges {
		return nil
	}
	return unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
}

// closeFDs marks every fd above stdio and the preserved ones close-on-exec,
// so nothing of the runtime leaks into the container.
func (i *initProcess) closeFDs() error {
	first := 3 + i.cfg.PreserveFDs
	return unix.CloseRange(uint(first), ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
}

// waitStart blocks on the exec fifo until `start` opens it, then writes one
// byte so start knows the init was alive. The fifo stays open (close on
// exec) so that start, reading to EOF, returns only once the program runs
// or the init died: startContainer hooks come before poststart.
func (i *initProcess) waitStart() error {
	h := os.NewFile(uintptr(i.cfg.FifoFD), "exec.fifo")
	f, err := pathrs.Reopen(h, unix.O_WRONLY|unix.O_CLOEXEC)
	h.Close()
	if err != nil {
		return fmt.Errorf("opening the exec fifo: %w", err)
	}
	i.fifo = f
	_, err = f.Write([]byte{0})
	return err
}

func (i *initProcess) startHooks() error {
	if h := i.spec.Hooks; h != nil && len(h.StartContainer) > 0 {
		return hooks.RunAll(context.Background(), "startContainer", h.StartContainer, i.state(specs.StateCreated))
	}
	return nil
}

func (i *initProcess) exec() error {
	err := unix.Exec(i.path, i.spec.Process.Args, i.spec.Process.Env)
	return fmt.Errorf("exec %s: %w", i.path, err)
}

func hasNamespace(s *specs.Spec, t specs.LinuxNamespaceType) bool {
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == t {
			return true
		}
	}
	return false
}
