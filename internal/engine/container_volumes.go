package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/engine/volume"
	"github.com/cais-project/cais/internal/errdefs"
)

// volumes is the engine's volume store, <root>/volumes.
func (e *Engine) volumes() *volume.Store { return volume.New(filepath.Join(e.opts.Root, "volumes")) }

// mountPlan is what a container's mount flags ask for, checked and with
// nothing made yet.
type mountPlan struct {
	records []MountRecord
	tmpfs   []specs.Mount // --tmpfs: in the spec only, as Docker's HostConfig.Tmpfs
	// hostMounts and hostTmpfs are --mount and --tmpfs as typed, for
	// inspect's HostConfig.Mounts and HostConfig.Tmpfs (path → options).
	hostMounts []HostMount
	hostTmpfs  map[string]string
	made       []string // volumes claimMounts created
}

// dropMade removes the volumes claimMounts made; the caller holds
// lockContainers and no record names them.
func (p *mountPlan) dropMade(e *Engine) {
	for _, n := range p.made {
		e.volumes().Remove(n)
	}
	p.made = nil
}

// removeMadeVolumes removes, after a failed create whose record is gone,
// the volumes it made, unless another container took them up meanwhile.
func (e *Engine) removeMadeVolumes(ctx context.Context, p *mountPlan) {
	for _, n := range p.made {
		e.RemoveVolume(ctx, n, true)
	}
}

// planMounts parses -v, --mount, --tmpfs and --volumes-from and adds an
// anonymous volume for each VOLUME of the image no mount covers. It checks
// everything (names, options, paths, a bind source for --mount, the
// containers named by --volumes-from) and creates nothing.
func (e *Engine) planMounts(ctx context.Context, img *image, o RunOptions) (*mountPlan, error) {
	p := &mountPlan{}
	dests := map[string]bool{}
	add := func(m MountRecord) error {
		if dests[m.Destination] {
			return fmt.Errorf("duplicate mount point: %s: %w", m.Destination, errdefs.ErrInvalidArgument)
		}
		dests[m.Destination] = true
		p.records = append(p.records, m)
		return nil
	}
	for _, v := range o.Volumes {
		m, err := parseVolumeFlag(v)
		if err == nil {
			err = add(m)
		}
		if err != nil {
			return nil, err
		}
	}
	for _, v := range o.Mounts {
		m, typed, err := parseMountFlag(v)
		if err == nil {
			err = add(m)
		}
		if err != nil {
			return nil, err
		}
		p.hostMounts = append(p.hostMounts, *typed)
	}
	for _, v := range o.Tmpfs {
		dst, opts, err := parseTmpfsFlag(v)
		if err != nil {
			return nil, err
		}
		if dests[dst] {
			return nil, fmt.Errorf("duplicate mount point: %s: %w", dst, errdefs.ErrInvalidArgument)
		}
		dests[dst] = true
		if p.hostTmpfs == nil {
			p.hostTmpfs = map[string]string{}
		}
		typedPath, typedOpts, _ := strings.Cut(v, ":")
		p.hostTmpfs[typedPath] = typedOpts
		p.tmpfs = append(p.tmpfs, specs.Mount{Destination: dst, Type: "tmpfs", Source: "tmpfs", Options: tmpfsMountOptions(opts)})
	}
	for _, v := range o.VolumesFrom {
		name, mode, err := parseVolumesFrom(v)
		if err != nil {
			return nil, err
		}
		from, err := e.FindContainer(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("--volumes-from %s: %w", name, err)
		}
		for _, m := range from.Mounts {
			if m.Type == "tmpfs" || dests[m.Destination] {
				continue // the container's own mounts win, as in Docker
			}
			m.Anonymous, m.Bind, m.createHostPath = false, "", false
			if mode != "" {
				m.RW = mode == "rw"
				m.Mode = strings.Join(slices.DeleteFunc(strings.Split(m.Mode, ","), func(w string) bool {
					return w == "ro" || w == "rw" || w == ""
				}), ",")
				if !m.RW {
					m.Mode = strings.Trim(m.Mode+",ro", ",")
				}
			}
			add(m)
		}
	}
	var imageVols []string
	for d := range img.loaded.Config.Config.Volumes {
		imageVols = append(imageVols, d)
	}
	sort.Strings(imageVols)
	for _, d := range imageVols {
		if !filepath.IsAbs(d) || dests[filepath.Clean(d)] {
			continue
		}
		add(MountRecord{Type: "volume", Destination: filepath.Clean(d), RW: true, Anonymous: true})
	}
	return p, nil
}

// tmpfsMountOptions are Docker's --tmpfs defaults (noexec, nosuid, nodev)
// with the user's options, an explicit exec, suid or dev replacing its
// default.
func tmpfsMountOptions(user string) []string {
	opts := []string{"noexec", "nosuid", "nodev"}
	opposite := map[string]string{"exec": "noexec", "suid": "nosuid", "dev": "nodev"}
	for _, u := range strings.Split(user, ",") {
		if u = strings.TrimSpace(u); u == "" || slices.Contains(opts, u) {
			continue
		}
		if def, ok := opposite[u]; ok {
			opts = slices.DeleteFunc(opts, func(o string) bool { return o == def })
		}
		opts = append(opts, u)
	}
	return opts
}

// claimMounts makes what the plan needs (volumes, missing -v host
// directories) and sets c.Mounts; the caller holds lockContainers, so no
// volume removal runs between this and the record naming the volumes. On
// error, volumes it made are removed again.
func (e *Engine) claimMounts(c *Container, p *mountPlan) error {
	store := e.volumes()
	fail := func(err error) error {
		p.dropMade(e)
		return err
	}
	c.Mounts = []MountRecord{}
	for _, m := range p.records {
		switch {
		case m.Type == "volume":
			opts := volume.CreateOptions{Name: m.Name, Options: m.volumeOpts, Labels: m.volumeLabels}
			if m.Anonymous {
				opts.Labels = map[string]string{volume.LabelAnonymous: ""}
				for k, v := range m.volumeLabels {
					opts.Labels[k] = v
				}
			}
			v, created, err := store.Create(opts)
			if err != nil {
				return fail(err)
			}
			if created {
				p.made = append(p.made, v.Name)
			}
			m.Name, m.Source = v.Name, v.Mountpoint
		case m.Type == "bind" && m.createHostPath:
			if _, err := os.Stat(m.Source); errors.Is(err, os.ErrNotExist) {
				if err := os.MkdirAll(m.Source, 0o755); err != nil {
					return fail(fmt.Errorf("creating host path for -v %s: %w", m.Bind, err))
				}
			}
		}
		c.Mounts = append(c.Mounts, m)
	}
	return nil
}

// mountVolumes runs after the rootfs is mounted: each volume's own
// filesystem is mounted (acquired for this container) and a volume used
// for the first time is filled from the image's content at its path.
func (e *Engine) mountVolumes(c *Container, rootfs string) error {
	store := e.volumes()
	for _, m := range c.Mounts {
		if m.Type != "volume" {
			continue
		}
		if _, err := store.Acquire(m.Name, c.ID); err != nil {
			return err
		}
		src := ""
		if !m.NoCopy {
			p, err := securejoin.SecureJoin(rootfs, m.Destination)
			if err != nil {
				return fmt.Errorf("resolving %s in the image: %w", m.Destination, err)
			}
			src = p
		}
		if err := store.Populate(m.Name, src); err != nil {
			return err
		}
	}
	return nil
}

// specMounts are the OCI mounts of the container's records and tmpfs.
func specMounts(c *Container, p *mountPlan) []specs.Mount {
	var out []specs.Mount
	for _, m := range c.Mounts {
		rw := "rw"
		if !m.RW {
			rw = "ro"
		}
		switch m.Type {
		case "tmpfs":
			out = append(out, specs.Mount{Destination: m.Destination, Type: "tmpfs", Source: "tmpfs",
				Options: append([]string{"nosuid", "nodev", "noexec", rw}, m.Options...)})
		default:
			prop := m.Propagation
			if prop == "" {
				prop = "rprivate"
			}
			out = append(out, specs.Mount{Destination: m.Destination, Type: "bind", Source: m.Source,
				Options: []string{"rbind", prop, rw}})
		}
	}
	return append(out, p.tmpfs...)
}

// releaseVolumes gives back the container's hold on its volumes' mounts.
func (e *Engine) releaseVolumes(c *Container) error {
	var errs []error
	for _, m := range c.Mounts {
		if m.Type == "volume" {
			errs = append(errs, e.volumes().Release(m.Name, c.ID))
		}
	}
	return errors.Join(errs...)
}

// RemoveContainerVolumes removes the anonymous volumes of a container
// that is already removed (rm -v, --rm); one another container still uses
// is kept, as Docker does.
func (e *Engine) RemoveContainerVolumes(ctx context.Context, c *Container) error {
	var errs []error
	for _, m := range c.Mounts {
		if m.Type != "volume" || !m.Anonymous {
			continue
		}
		if err := e.RemoveVolume(ctx, m.Name, true); err != nil && !errors.Is(err, errdefs.ErrConflict) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// inspectMounts shows the recorded mounts in Docker's shape.
func inspectMounts(out *ContainerInspect, c *Container) {
	if c.Mounts == nil {
		return // a record from before mounts were recorded: the spec's
	}
	out.Mounts, out.HostConfig.Binds = []MountPoint{}, []string{}
	for _, m := range c.Mounts {
		mp := MountPoint{Type: m.Type, Name: m.Name, Source: m.Source, Destination: m.Destination,
			Mode: m.Mode, RW: m.RW, Propagation: m.Propagation}
		if m.Type == "volume" {
			mp.Driver = volume.DriverLocal
		}
		out.Mounts = append(out.Mounts, mp)
		if m.Bind != "" {
			out.HostConfig.Binds = append(out.HostConfig.Binds, m.Bind)
		}
	}
}
