package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/engine/monitor"
	"github.com/cais-project/cais/internal/engine/ocicli"
	"github.com/cais-project/cais/internal/engine/seccompdefault"
	"github.com/cais-project/cais/internal/engine/specgen"
	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/fsutil"
	"github.com/cais-project/cais/internal/mount"
)

// RunOptions are what `cais run` asks for.
type RunOptions struct {
	Image   string   // reference or ID (required)
	Cmd     []string // replaces the image's Cmd when set
	Name    string   // empty: one is made from the ID
	Env     []string // "K=V"
	Volumes []string // -v "[SOURCE:]/ctr[:MODES]"
	Network string   // "", "none" or "host"; Net.Networks supersedes it
	Net     NetworkOptions
	// Runtime is "cais-runtime", "runc" or a path; empty is cais-runtime.
	Runtime string
	// Hostname replaces the default (the first 12 characters of the ID).
	Hostname string
	// Memory is the memory limit in bytes (0: none); PidsLimit the most
	// processes (0: no limit).
	Memory, PidsLimit int64
	// SecurityOpt are --security-opt values, passed to specgen; without a
	// seccomp one the container gets cais's default seccomp profile.
	SecurityOpt []string
	// AutoRemove removes the container when it exits (--rm).
	AutoRemove bool
	// Restart is Docker's --restart policy ("no", "on-failure[:N]",
	// "always", "unless-stopped"); empty is "no". It conflicts with
	// AutoRemove.
	Restart string
	// Interactive keeps the container's stdin open (-i); Tty gives its
	// process a terminal (-t).
	Interactive, Tty bool
	// Start starts the container right after creating it; otherwise the
	// caller attaches and then calls StartContainer.
	Start bool
	// CreateOnStart (without Start) leaves the runtime's create to that
	// StartContainer, which creates and starts at once (`runtime run
	// --detach`, one runtime process fewer): foreground `cais run`. Its
	// create-time failure is then StartContainer's *monitor.CreateError.
	CreateOnStart bool
	// DNS is --dns, --dns-search, --dns-option, --add-host, --domainname.
	DNS DNSOptions
	// Settings are the other create/run flags (container_settings.go).
	Settings
	// MountOptions are --mount, --tmpfs and --volumes-from.
	MountOptions
	// Monitor is log rotation and health checking, done by the monitor.
	Monitor MonitorOptions
}

// CreateContainer resolves the image (pulling it when the reference is not
// in the store), prepares and mounts the container's rootfs, writes its
// bundle and record, and spawns its monitor, which creates it in the
// runtime. When the monitor cannot create it the error is a
// *monitor.CreateError (its ExitCode says 126/127) and nothing is left.
func (e *Engine) CreateContainer(ctx context.Context, o RunOptions) (*Container, error) {
	warmRecordEncoders()
	restart, err := monitor.ParseRestartPolicy(o.Restart)
	if err != nil {
		return nil, err
	}
	if err := o.DNS.Validate(); err != nil {
		return nil, err
	}
	if o.AutoRemove && restart.Name != "" && restart.Name != "no" {
		return nil, fmt.Errorf("conflicting options: --restart and --rm: %w", errdefs.ErrInvalidArgument)
	}
	if err := checkRun(o); err != nil {
		return nil, err
	}
	img, err := e.resolveRunImage(ctx, o.Image, o.Pull, o.Platform)
	if err != nil {
		return nil, err
	}
	rt, err := e.runtimeFor(o.Runtime)
	if err != nil {
		return nil, err
	}
	id, err := newContainerID()
	if err != nil {
		return nil, err
	}
	o.Monitor = e.resolveHealth(ctx, img, o.Monitor)
	c := &Container{
		ID: id, Name: o.Name, Image: o.Image, ImageID: img.id, Created: time.Now().UTC(),
		Runtime: rt.Path, RuntimeRoot: rt.Root, SnapshotKey: "container-" + id, AutoRemove: o.AutoRemove,
		OpenStdin: o.Interactive, Tty: o.Tty, Monitor: o.Monitor,
		Settings: o.Settings.recorded(img.loaded.Config.Config), RestartPolicy: restart,
	}
	if c.Name == "" {
		c.Name = "cais_" + id[:12]
	}
	c.DNS = o.DNS.normalized()
	if !validName(c.Name) {
		return nil, fmt.Errorf("invalid container name %q: %w", c.Name, errdefs.ErrInvalidArgument)
	}
	plan, err := e.planMounts(ctx, img, o)
	if err != nil {
		return nil, err
	}
	c.HostMounts, c.Tmpfs = plan.hostMounts, plan.hostTmpfs
	netPlan, err := e.planNetwork(ctx, o, img)
	if err != nil {
		return nil, err
	}
	unlock, err := e.lockContainers()
	if err != nil {
		return nil, err
	}
	if err = e.claimMounts(c, plan); err == nil {
		if err = e.reserve(c); err != nil {
			plan.dropMade(e)
		}
	}
	unlock()
	if err != nil {
		return nil, err
	}
	var cfg monitor.Config
	var attached func() error
	if o.Network, attached, err = e.setupNetwork(ctx, c, netPlan, o.Hostname); err == nil {
		cfg, err = e.prepareBundle(ctx, c, img, o, specMounts(c, plan))
		if aerr := attached(); err == nil {
			err = aerr
		}
	}
	if err == nil {
		e.refreshPeers(c, nil)
		err = e.spawnMonitor(ctx, c, rt, cfg, o)
	}
	if err != nil {
		e.cleanup(ctx, c)
		e.removeMadeVolumes(ctx, plan)
		return nil, err
	}
	return c, nil
}

// resolveRunImage finds ref in the store for platform (empty: the
// host's), pulling it as the pull policy says: "missing" (or "") when it
// is not there, "always", or "never". An image present for another
// platform is an error.
func (e *Engine) resolveRunImage(ctx context.Context, ref, pull, platform string) (*image, error) {
	var local error
	if pull != "always" {
		img, err := e.localRunImage(ctx, ref, platform)
		if err == nil || !errors.Is(err, errdefs.ErrNotFound) || pull == "never" {
			return img, err
		}
		local = err
	}
	if _, perr := e.ParseReference(ref); perr != nil {
		if local == nil {
			local = perr
		}
		return nil, local
	}
	if _, err := e.Pull(ctx, ref, PullOptions{Platform: platform}); err != nil {
		return nil, fmt.Errorf("pulling %s: %w", ref, err)
	}
	return e.localRunImage(ctx, ref, platform)
}

func (e *Engine) localRunImage(ctx context.Context, ref, platform string) (*image, error) {
	img, err := e.findRunImage(ctx, ref)
	if err != nil {
		return nil, err
	}
	if img, err = e.forPlatform(ctx, img, platform); err != nil {
		return nil, err
	}
	if img.loadErr != nil {
		return nil, fmt.Errorf("image %s: %w", ref, img.loadErr)
	}
	return img, checkPlatform(ref, platform, img)
}

// runtimeFor is the OCI runtime named by s, with its --root under the
// runroot so that separate engines never share runtime state.
func (e *Engine) runtimeFor(s string) (ocicli.Runtime, error) {
	if s == "" {
		s = "cais-runtime"
	}
	p, err := helperBinary(s)
	if err != nil {
		return ocicli.Runtime{}, err
	}
	return ocicli.Runtime{Path: p, Root: filepath.Join(e.opts.RunRoot, "runtime", filepath.Base(p))}, nil
}

// helperBinary finds name next to the running binary, else in PATH; a
// name with a slash is taken as a path.
func helperBinary(name string) (string, error) {
	if strings.Contains(name, "/") {
		return filepath.Abs(name)
	}
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("finding %s: %w", name, errdefs.ErrNotFound)
	}
	return p, nil
}

// prepareBundle makes the snapshot, mounts it, writes the /etc files and
// config.json, and returns the monitor's config.
func (e *Engine) prepareBundle(ctx context.Context, c *Container, img *image, o RunOptions, mounts []specs.Mount) (monitor.Config, error) {
	chain := img.chainIDs()
	parent := ""
	if len(chain) > 0 {
		parent = chain[len(chain)-1].String()
	}
	dir := e.runDir(c.ID)
	hostname := c.ID[:12]
	if o.Hostname != "" {
		hostname = o.Hostname
	} else if o.Network == "host" {
		if h, err := os.Hostname(); err == nil {
			hostname = h
		}
	}
	// The /etc files need nothing from the snapshot: they are written
	// while Prepare waits on its commits (see etcFilesAsync).
	etc := etcFilesAsync(dir, hostname, o)
	ms, err := e.snaps.Prepare(ctx, c.SnapshotKey, parent)
	if err != nil {
		etc.wait()
		return monitor.Config{}, fmt.Errorf("preparing rootfs: %w", err)
	}
	rootfs := filepath.Join(dir, "rootfs")
	if err := os.MkdirAll(rootfs, 0o700); err != nil {
		etc.wait()
		return monitor.Config{}, err
	}
	if err := mount.All(ms, rootfs); err != nil {
		etc.wait()
		return monitor.Config{}, err
	}
	if err := e.mountVolumes(c, rootfs); err != nil {
		etc.wait()
		return monitor.Config{}, err
	}
	files, err := etc.wait()
	if err != nil {
		return monitor.Config{}, err
	}
	// The default profile depends on the capabilities specgen computes, so
	// a placeholder goes in and, if it survives, is rebuilt for them (the
	// bounding set: a non-root user may gain those through setuid files).
	defaultSeccomp := &specs.LinuxSeccomp{}
	sopts := specgen.Options{
		ID: c.ID, Name: c.Name, Hostname: hostname, Domainname: o.DNS.Domainname, Cmd: o.Cmd, Env: o.Env, Network: o.Network,
		Mounts: mounts, HostsPath: files[0], ResolvConfPath: files[1], HostnamePath: files[2],
		Memory: o.Memory, PidsLimit: o.PidsLimit, SecurityOpt: o.SecurityOpt, Seccomp: defaultSeccomp,
		Tty: o.Tty, OpenStdin: o.Interactive,
	}
	o.Settings.specOptions(&sopts)
	spec, err := specgen.Generate(img.loaded.Config.Config, rootfs, sopts)
	if err != nil {
		return monitor.Config{}, err
	}
	e.shareEtcFiles(c, spec)
	if spec.Linux.Seccomp == defaultSeccomp { // no --security-opt replaced it
		spec.Linux.Seccomp = seccompdefault.Profile(spec.Process.Capabilities.Bounding)
	}
	if o.NanoCPUs > 0 { // inspect shows --cpus as NanoCpus, as `cais update` keeps it
		spec.Annotations[annotationNanoCPUs] = strconv.FormatInt(o.NanoCPUs, 10)
	}
	c.Command = spec.Process.Args
	if err := e.saveContainer(c); err != nil {
		return monitor.Config{}, err
	}
	b, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return monitor.Config{}, err
	}
	// The bundle is in the runroot, gone after a reboot: no fsync.
	if err := fsutil.Replace(filepath.Join(dir, "config.json"), b, 0o600); err != nil {
		return monitor.Config{}, err
	}
	return monitor.Config{ID: c.ID, Bundle: dir, Dir: e.monitorDir(c.ID), LogPath: e.logPath(c.ID)}, nil
}

// writeEtcFiles writes hosts, resolv.conf and hostname into dir and
// returns their paths in that order.
func writeEtcFiles(dir, hostname string, o RunOptions) ([3]string, error) {
	return WriteEtcFiles(dir, hostname, o.DNS, EtcNetwork{Mode: o.Network})
}

func (e *Engine) spawnMonitor(ctx context.Context, c *Container, rt ocicli.Runtime, cfg monitor.Config, o RunOptions) error {
	bin, err := helperBinary("cais-monitor")
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding own binary: %w", err)
	}
	cfg.Runtime = rt
	cfg.StartNow = o.Start
	cfg.CreateOnStart = o.CreateOnStart && !o.Start
	cfg.Remove = o.AutoRemove
	cfg.Record = e.recordPath(c.ID)
	applyMonitorOptions(&cfg, o.Monitor)
	if cfg.Restart, err = monitor.ParseRestartPolicy(o.Restart); err != nil {
		return err
	}
	// A foreground run -i closes the container's stdin when its client
	// goes, as Docker's StdinOnce; a detached one waits for attaches.
	cfg.Stdin, cfg.StdinOnce = o.Interactive, o.Interactive && !o.Start
	// The monitor has deleted the container from the runtime when it runs
	// this; cleanup only undoes what the engine made, so no recursion.
	cfg.Cleanup = []string{self, "--root", e.opts.Root, "--runroot", e.opts.RunRoot, "container", "cleanup", c.ID}
	if len(e.opts.CNIPath) > 0 {
		cfg.Cleanup = append(cfg.Cleanup[:5], append([]string{"--cni-path", strings.Join(e.opts.CNIPath, ":")}, cfg.Cleanup[5:]...)...)
	}
	// The monitor must outlive this command: never tie it to ctx.
	_, _, err = monitor.Spawn(context.WithoutCancel(ctx), bin, cfg)
	return err
}
