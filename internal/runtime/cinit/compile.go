package cinit

import (
	"encoding/binary"
	"fmt"
	"os"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/runtime/caps"
	"github.com/cais-project/cais/internal/runtime/initproto"
	"github.com/cais-project/cais/internal/runtime/nsenter"
	"github.com/cais-project/cais/internal/runtime/process"
	"github.com/cais-project/cais/internal/runtime/rootfs"
)

// ForceGoEnv, set to 1 in the runtime's environment, keeps the Go init.
const ForceGoEnv = "CAIS_GO_INIT"

// Usable reports whether the C init can set up cfg's process; when not,
// the reason names what it lacks.
func Usable(cfg *initproto.Config) (bool, string) {
	if os.Getenv(ForceGoEnv) == "1" {
		return false, ForceGoEnv + "=1"
	}
	s := cfg.Spec
	if s == nil || s.Process == nil || s.Linux == nil {
		return false, "incomplete spec"
	}
	p := s.Process
	switch {
	case p.Terminal:
		return false, "a terminal"
	case !cfg.Exec && hasInitHooks(s.Hooks):
		return false, "hooks"
	case p.ApparmorProfile != "" || p.SelinuxLabel != "":
		return false, "an LSM label"
	case p.Scheduler != nil || p.IOPriority != nil || s.Linux.Personality != nil:
		return false, "scheduler, I/O priority or personality"
	}
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == specs.UserNamespace {
			return false, "a user namespace"
		}
	}
	if sc := s.Linux.Seccomp; sc != nil {
		if sc.ListenerPath != "" || sc.DefaultAction == specs.ActNotify {
			return false, "seccomp notify"
		}
		for _, r := range sc.Syscalls {
			if r.Action == specs.ActNotify {
				return false, "seccomp notify"
			}
		}
	}
	return true, ""
}

// hasInitHooks reports hooks the init takes part in (poststart and
// poststop are the runtime's alone).
func hasInitHooks(h *specs.Hooks) bool {
	if h == nil {
		return false
	}
	//lint:ignore SA1019 prestart is deprecated but runtimes still run it.
	pre := h.Prestart
	return len(pre) > 0 || len(h.CreateRuntime) > 0 || len(h.CreateContainer) > 0 || len(h.StartContainer) > 0
}

// Program compiles cfg for the C init; plan is the container's rootfs plan
// (nil for exec). cfg.Seccomp must hold the compiled filter when the spec
// has one.
func Program(cfg *initproto.Config, plan *rootfs.Plan) ([]byte, error) {
	if ok, why := Usable(cfg); !ok {
		return nil, fmt.Errorf("cinit: not for a process with %s", why)
	}
	s := cfg.Spec
	p := s.Process
	w := &writer{}
	if !cfg.Exec {
		if plan == nil {
			return nil, fmt.Errorf("cinit: no rootfs plan")
		}
		if err := w.rootfs(cfg, plan); err != nil {
			return nil, err
		}
		w.step("setting the hostname")
		if s.Hostname != "" || s.Domainname != "" {
			w.op(nsenter.OpHostname, "").str(s.Hostname).str(s.Domainname)
		}
		w.step("setting sysctls")
		for key, value := range s.Linux.Sysctl {
			w.op(nsenter.OpSysctl, fmt.Sprintf("linux.sysctl %q", key)).
				str("sys/" + strings.ReplaceAll(key, ".", "/")).str(value)
		}
		if adj := p.OOMScoreAdj; adj != nil {
			w.op(nsenter.OpSysctl, "process.oomScoreAdj").str("").str(fmt.Sprint(*adj))
		}
		if !cfg.NoNewKeyring {
			w.step("joining a session keyring")
			w.op(nsenter.OpKeyring, "").str("_ses." + cfg.ID)
		}
	}
	w.step("setting process attributes")
	for _, r := range p.Rlimits {
		n, ok := process.RlimitNumber(r.Type)
		if !ok {
			return nil, fmt.Errorf("process.rlimits: unknown rlimit %q", r.Type)
		}
		w.op(nsenter.OpRlimit, fmt.Sprintf("setting %s to %d/%d", r.Type, r.Soft, r.Hard)).u32(uint32(n)).u64(r.Soft).u64(r.Hard)
	}
	w.step("changing directory")
	w.op(nsenter.OpChdir, "").str(p.Cwd)
	w.step("finding the program")
	path, hasPath := "", false
	for _, e := range p.Env {
		if v, ok := strings.CutPrefix(e, "PATH="); ok {
			path, hasPath = v, true
		}
	}
	if len(p.Args) == 0 {
		return nil, fmt.Errorf("process.args: empty")
	}
	w.op(nsenter.OpLookPath, "").str(p.Args[0]).bool(hasPath).str(path)
	seccomp := func() {}
	if s.Linux.Seccomp != nil {
		if cfg.Seccomp == nil {
			return nil, fmt.Errorf("linux.seccomp: the runtime compiled no filter")
		}
		bpf, flags := cfg.Seccomp.BPF, cfg.Seccomp.Flags
		seccomp = func() { w.op(nsenter.OpSeccomp, "").u32(uint32(flags)).bytes(bpf) }
	}
	if !p.NoNewPrivileges {
		w.step("loading seccomp (without no_new_privs)")
		seccomp()
	}
	w.step("setting the user and capabilities")
	if err := w.user(p); err != nil {
		return nil, err
	}
	if p.NoNewPrivileges {
		w.step("setting no_new_privs")
		w.op(nsenter.OpNNP, "")
	}
	w.step("closing inherited file descriptors")
	w.op(nsenter.OpCloseFDs, "").u32(uint32(3 + cfg.PreserveFDs))
	w.step("reporting ready")
	w.op(nsenter.OpReady, "")
	if !cfg.Exec {
		w.step("waiting for start")
		w.op(nsenter.OpWaitStart, "").u32(uint32(cfg.FifoFD))
	}
	if p.NoNewPrivileges {
		w.step("loading seccomp")
		seccomp()
	}
	w.step("") // exec errors carry no step, as the Go init's
	w.op(nsenter.OpExec, "").strs(p.Args).strs(p.Env)
	w.close()
	if w.err != nil {
		return nil, w.err
	}
	if len(w.b) > nsenter.MaxProgram {
		return nil, fmt.Errorf("cinit: program of %d bytes is too large", len(w.b))
	}
	return w.b, nil
}

// rootfs compiles the plan: mounts, /dev, pivot, cwd, masked and
// read-only paths, in the Go init's order.
func (w *writer) rootfs(cfg *initproto.Config, plan *rootfs.Plan) error {
	w.step("preparing the root filesystem")
	w.op(nsenter.OpProc, "")
	prop, shared := uint64(unix.MS_SLAVE|unix.MS_REC), false
	if rp := plan.RootPropagation; rp != nil {
		prop = rootfs.PropagationFlag(rp.Type)
		if rp.Recursive {
			prop |= unix.MS_REC
		}
		shared = rp.Type == rootfs.PropagationShared
	}
	w.op(nsenter.OpIsolate, "").u64(prop).bool(shared).str(plan.Rootfs)
	for _, m := range plan.Mounts {
		what := fmt.Sprintf("mounts[%d] (%s)", m.Index, m.Destination)
		var prot uint32
		if m.Protected {
			prot = nsenter.FlagProtected
		}
		switch m.Kind {
		case rootfs.KindBind:
			flags := prot
			if m.Recursive {
				flags |= nsenter.FlagRec
			}
			w.op(nsenter.OpBind, what).u32(flags).attrs(m.Attrs).attrs(m.RecursiveAttrs).str(m.Source).str(m.Destination).props(m.Propagation)
		case rootfs.KindFilesystem:
			w.op(nsenter.OpFS, what).u32(prot).str(m.Type).str(m.Source).strs(m.Data).
				u64(rootfs.FsmountAttr(m.Attrs)).attrs(m.RecursiveAttrs).str(m.Destination).props(m.Propagation)
		case rootfs.KindCgroupV1:
			top := rootfs.AttrChange{Set: m.Attrs.Set &^ rootfs.AttrReadOnly, Atime: m.Attrs.Atime}
			w.op(nsenter.OpFS, what).u32(prot | nsenter.FlagCgroupTop).str("tmpfs").str("tmpfs").strs(m.Data).
				u64(rootfs.FsmountAttr(top)).attrs(rootfs.AttrChange{}).str(m.Destination).props(nil)
			sub := m.Attrs
			sub.Clear = 0
			for _, h := range m.Cgroups {
				hwhat := fmt.Sprintf("%s: cgroup %s", what, h.Dir)
				dst := "/" + h.Dir
				if h.HostPath != "" {
					w.op(nsenter.OpBind, hwhat).u32(nsenter.FlagInCgroup | nsenter.FlagDirSource).attrs(sub).attrs(rootfs.AttrChange{}).
						str(h.HostPath).str(dst).props(nil)
				} else {
					w.op(nsenter.OpFS, hwhat).u32(nsenter.FlagInCgroup).str("cgroup").str("cgroup").strs(h.Controllers).
						u64(rootfs.FsmountAttr(sub)).attrs(rootfs.AttrChange{}).str(dst).props(nil)
				}
				for _, l := range h.Links {
					if l != h.Dir {
						w.op(nsenter.OpCgLink, hwhat).str(h.Dir).str(l)
					}
				}
			}
			w.op(nsenter.OpCgEnd, what).u64(rootfs.ReadOnlyAttr(m.Attrs.Set)).props(m.Propagation)
		default:
			return fmt.Errorf("cinit: mount kind %d", m.Kind)
		}
	}
	if plan.SetupDev {
		for _, d := range plan.Devices {
			mode, dev := d.MknodArgs()
			w.op(nsenter.OpMknod, "device "+d.Path).str(d.Path).u32(mode).u64(dev).u32(d.UID).u32(d.GID)
		}
		for _, l := range plan.Symlinks {
			w.op(nsenter.OpSymlink, "symlink "+l.Path).str(l.Path).str(l.Target).str(l.IfExists)
		}
	}
	w.step("switching to the root filesystem")
	w.op(nsenter.OpPivot, "").bool(plan.Options.NoPivot)
	w.step("creating the working directory")
	w.op(nsenter.OpMkdir, fmt.Sprintf("process.cwd %q", cfg.Spec.Process.Cwd)).str(cfg.Spec.Process.Cwd)
	w.step("masking paths")
	for i, p := range plan.ReadonlyPaths {
		w.op(nsenter.OpReadonly, fmt.Sprintf("linux.readonlyPaths[%d] (%s)", i, p)).str(p)
	}
	for i, p := range plan.MaskedPaths {
		w.op(nsenter.OpMask, fmt.Sprintf("linux.maskedPaths[%d] (%s)", i, p)).str(p)
	}
	if plan.ReadonlyRoot {
		w.op(nsenter.OpRootAttr, "root.readonly").u64(rootfs.ReadOnlyAttr(rootfs.AttrReadOnly)).props(nil)
	}
	if rp := plan.RootPropagation; rp != nil {
		w.op(nsenter.OpRootAttr, "linux.rootfsPropagation").u64(0).props([]rootfs.PropagationChange{*rp})
	}
	return nil
}

func (w *writer) user(p *specs.Process) error {
	c := p.Capabilities
	if c == nil {
		c = &specs.LinuxCapabilities{}
	}
	set, _, err := caps.Parse(c)
	if err != nil {
		return err
	}
	b, e, pm, i, a := set.Masks()
	u := p.User
	w.op(nsenter.OpUser, "").u64(b).u64(e).u64(pm).u64(i).u64(a).u32(u.UID).u32(u.GID).u32(uint32(len(u.AdditionalGids)))
	for _, g := range u.AdditionalGids {
		w.u32(g)
	}
	um := int32(-1)
	if u.Umask != nil {
		um = int32(*u.Umask)
	}
	w.u32(uint32(um)).u32(uint32(set.LastCap()))
	return nil
}

// writer appends ops; an op's length is patched when the next one starts.
type writer struct {
	b     []byte
	start int // offset of the open op's length field, 0 when none is open
	err   error
}

func (w *writer) close() {
	if w.start > 0 {
		binary.LittleEndian.PutUint32(w.b[w.start:], uint32(len(w.b)-w.start-4))
	}
	w.start = 0
}

func (w *writer) op(op uint32, what string) *writer {
	w.close()
	w.b = binary.LittleEndian.AppendUint32(w.b, op)
	w.start = len(w.b)
	w.b = binary.LittleEndian.AppendUint32(w.b, 0)
	if op != nsenter.OpStep {
		w.str(what)
	}
	return w
}

func (w *writer) step(name string) {
	w.op(nsenter.OpStep, "")
	w.str(name)
}

func (w *writer) u32(v uint32) *writer {
	w.b = binary.LittleEndian.AppendUint32(w.b, v)
	return w
}

func (w *writer) u64(v uint64) *writer {
	w.b = binary.LittleEndian.AppendUint64(w.b, v)
	return w
}

func (w *writer) bool(v bool) *writer {
	if v {
		return w.u32(1)
	}
	return w.u32(0)
}

func (w *writer) str(s string) *writer {
	if strings.IndexByte(s, 0) >= 0 && w.err == nil {
		w.err = fmt.Errorf("cinit: %q contains a NUL byte", s)
	}
	w.u32(uint32(len(s) + 1))
	w.b = append(w.b, s...)
	w.b = append(w.b, 0)
	return w
}

func (w *writer) strs(v []string) *writer {
	w.u32(uint32(len(v)))
	for _, s := range v {
		w.str(s)
	}
	return w
}

func (w *writer) bytes(b []byte) *writer {
	w.u32(uint32(len(b)))
	w.b = append(w.b, b...)
	return w
}

func (w *writer) attrs(c rootfs.AttrChange) *writer {
	set, clr := rootfs.MountAttr(c)
	return w.u64(set).u64(clr)
}

func (w *writer) props(pcs []rootfs.PropagationChange) *writer {
	w.u32(uint32(len(pcs)))
	for _, pc := range pcs {
		w.u64(rootfs.PropagationFlag(pc.Type)).bool(pc.Recursive)
	}
	return w
}
