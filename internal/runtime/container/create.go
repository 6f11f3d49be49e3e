package container

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/runtime/caps"
	"github.com/cais-project/cais/internal/runtime/cgroups"
	"github.com/cais-project/cais/internal/runtime/console"
	"github.com/cais-project/cais/internal/runtime/hooks"
	"github.com/cais-project/cais/internal/runtime/initproto"
	"github.com/cais-project/cais/internal/runtime/rootfs"
)

const defaultKillWait = 10 * time.Second

// CreateOptions are create's optional settings (runc's flags).
type CreateOptions struct {
	ConsoleSocket string // --console-socket
	PidFile       string // --pid-file
	NoPivot       bool
	NoNewKeyring  bool
	PreserveFDs   int
	IO            IO
	// Config is the bundle's config.json when the caller has already read
	// it with LoadSpec (run does, to decide on a terminal); nil reads it.
	Config *Config
}

// Create creates the container id from the bundle: its process is set up
// and waits for Start. On any error nothing is left behind: no state entry,
// cgroup, mount or process.
func Create(ctx context.Context, root, id, bundle string, o CreateOptions) (c *Container, err error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	bundle, err = filepath.Abs(bundle)
	if err != nil {
		return nil, err
	}
	cfg := o.Config
	if cfg == nil {
		if cfg, err = LoadSpec(bundle); err != nil {
			return nil, err
		}
	}
	spec := cfg.Spec
	if err := validateSpec(spec, bundle); err != nil {
		return nil, err
	}
	cg, err := cgroups.New(CgroupRoot, spec.Linux.CgroupsPath, id)
	if err != nil {
		return nil, fmt.Errorf("linux.cgroupsPath: %w", err)
	}
	plan, err := validateParts(spec, bundle, cg.Paths(), o)
	if err != nil {
		return nil, err
	}
	filter, err := seccompProgram(root, spec)
	if err != nil {
		return nil, err
	}

	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, err
	}
	dir := filepath.Join(root, id)
	if err := os.Mkdir(dir, 0o700); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("container with id %q exists: %w", id, errdefs.ErrAlreadyExists)
		}
		return nil, err
	}
	unlock, err := lockDir(dir, true)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer unlock()
	var undo []func()
	defer func() {
		if err != nil {
			for i := len(undo) - 1; i >= 0; i-- {
				undo[i]()
			}
			os.RemoveAll(dir)
		}
	}()

	if err := cg.Create(); err != nil {
		return nil, err
	}
	undo = append(undo, func() { cg.Destroy() })
	if spec.Linux.Resources != nil {
		if err := cg.Set(withDefaultDevices(spec.Linux.Resources)); err != nil {
			return nil, fmt.Errorf("linux.resources: %w", err)
		}
	}

	fifoPath := filepath.Join(dir, fifoFile)
	if err := unix.Mkfifo(fifoPath, 0o600); err != nil {
		return nil, fmt.Errorf("creating the exec fifo: %w", err)
	}
	// The init opens it for writing after it changed to process.user, who
	// may not be root: writable by all, readable only by root (as runc).
	// The state dir stays 0700; the init reaches the fifo through its fd.
	if err := os.Chmod(fifoPath, 0o622); err != nil {
		return nil, fmt.Errorf("creating the exec fifo: %w", err)
	}
	fifo, err := os.OpenFile(fifoPath, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer fifo.Close()

	var consoleConn *os.File
	if o.ConsoleSocket != "" {
		consoleConn, err = console.Dial(o.ConsoleSocket)
		if err != nil {
			return nil, err
		}
		defer consoleConn.Close()
	}

	rootfsPath := spec.Root.Path
	if !filepath.IsAbs(rootfsPath) {
		rootfsPath = filepath.Join(bundle, rootfsPath)
	}
	state := &State{
		ID: id, Bundle: bundle, Rootfs: rootfsPath, Created: time.Now().UTC(),
		Owner: "", CgroupPaths: cg.Paths(), Spec: cfg.JSON, spec: spec,
	}
	ociState := func(pid int) *specs.State {
		return &specs.State{Version: specs.Version, ID: id, Status: specs.StateCreating, Pid: pid, Bundle: bundle, Annotations: spec.Annotations}
	}
	p, err := spawn(ctx, spawnOpts{
		req: nsenterRequest(spec),
		cfg: &initproto.Config{
			ID: id, Bundle: bundle, Spec: spec, Rootfs: rootfsPath,
			NoPivot: o.NoPivot, NoNewKeyring: o.NoNewKeyring, CgroupPaths: cg.Paths(),
		},
		seccomp:     filter,
		plan:        plan,
		io:          o.IO,
		preserveFDs: o.PreserveFDs,
		console:     consoleConn,
		fifo:        fifo,
		idMaps:      idMapsFor(spec),
		joinCgroup:  cg.Apply,
		hooks: func(pid int) error {
			if spec.Hooks == nil {
				return nil
			}
			st := ociState(pid)
			//lint:ignore SA1019 prestart is deprecated but still part of the spec, and runc runs it.
			if err := hooks.RunAll(ctx, "prestart", spec.Hooks.Prestart, st); err != nil {
				return err
			}
			return hooks.RunAll(ctx, "createRuntime", spec.Hooks.CreateRuntime, st)
		},
	})
	if err != nil {
		if p != nil {
			undo = append(undo, p.kill)
		}
		return nil, err
	}
	undo = append(undo, p.kill)
	state.Pid = p.pid
	if state.PidStart, _, err = procStart(p.pid); err != nil {
		return nil, fmt.Errorf("container init %d vanished: %w", p.pid, err)
	}
	if err := state.save(dir); err != nil {
		return nil, fmt.Errorf("saving state: %w", err)
	}
	if o.PidFile != "" {
		if err := writeFileAtomic(o.PidFile, []byte(strconv.Itoa(p.pid)), 0o644); err != nil {
			return nil, fmt.Errorf("writing --pid-file: %w", err)
		}
	}
	// The init is reparented when this process exits; a `run` in the
	// foreground is a subreaper and reaps it itself, and starts and
	// deletes through this value: the cgroup manager goes along, as
	// looking it up again re-reads mountinfo.
	return &Container{root: root, dir: dir, state: state, cg: cg}, nil
}

// validateParts checks the config with the same code that will apply it,
// before anything is created.
func validateParts(s *specs.Spec, bundle string, cgroupPaths map[string]string, o CreateOptions) (*rootfs.Plan, error) {
	opts := rootfs.Options{NoPivot: o.NoPivot, CgroupPaths: cgroupPaths, UserNS: hasNamespace(s, specs.UserNamespace), NetNS: hasNamespace(s, specs.NetworkNamespace)}
	plan, err := rootfs.NewPlan(s, bundle, opts)
	if err != nil {
		return nil, err
	}
	if s.Process.Capabilities != nil {
		if _, _, err := caps.Parse(s.Process.Capabilities); err != nil {
			return nil, err
		}
	}
	if s.Process.Terminal && o.ConsoleSocket == "" {
		return nil, invalid("process.terminal is true: --console-socket is required")
	}
	if !s.Process.Terminal && o.ConsoleSocket != "" {
		return nil, invalid("--console-socket given but process.terminal is false")
	}
	return plan, nil
}

// idMapsFor returns the config's id maps when it creates a user namespace.
func idMapsFor(s *specs.Spec) *specs.Linux {
	if newNamespace(s, specs.UserNamespace) {
		return s.Linux
	}
	return nil
}
