package engine

import (
	"encoding/csv"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cais-project/cais/internal/engine/volume"
	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/units"
)

// MountOptions are the mount flags of create and run besides -v.
type MountOptions struct {
	Mounts      []string // --mount type=…,source=…,target=…
	Tmpfs       []string // --tmpfs /path[:options]
	VolumesFrom []string // --volumes-from CTR[:ro|rw]
}

// MountRecord is one mount the user asked for (or the image's VOLUME),
// kept in the container record: inspect shows it, rm -v and --rm remove
// its anonymous volumes, and a volume named by a record is in use.
type MountRecord struct {
	Type        string `json:"type"`           // "bind", "volume" or "tmpfs"
	Name        string `json:"name,omitempty"` // the volume's
	Source      string `json:"source,omitempty"`
	Destination string `json:"destination"`
	RW          bool   `json:"rw"`
	// Mode is Docker's: what followed the last colon of -v ("ro", "z");
	// without one "z" for a named volume, "" for an anonymous one; "z"
	// for every --mount volume and "" for a --mount bind, even readonly.
	Mode        string `json:"mode,omitempty"`
	Propagation string `json:"propagation,omitempty"`
	// Anonymous volumes were made for this container.
	Anonymous bool `json:"anonymous,omitempty"`
	// NoCopy: never fill the volume from the image.
	NoCopy bool `json:"noCopy,omitempty"`
	// Options are a tmpfs mount's options ("size=…", "mode=…").
	Options []string `json:"options,omitempty"`
	// Bind is the -v argument as typed, for HostConfig.Binds.
	Bind string `json:"bind,omitempty"`

	// What creating a volume that does not exist yet takes (--mount
	// volume-opt= and volume-label=); not kept.
	volumeOpts, volumeLabels map[string]string
	// createHostPath: a -v host path that does not exist is made.
	createHostPath bool
}

// isPropagation reports whether w names a mount propagation.
func isPropagation(w string) bool {
	switch w {
	case "shared", "rshared", "slave", "rslave", "private", "rprivate":
		return true
	}
	return false
}

// checkDestination is Docker's rule for a mount's target.
func checkDestination(spec, dst string) (string, error) {
	if !path.IsAbs(dst) {
		return "", fmt.Errorf("invalid mount config %q: mount path %q must be absolute: %w", spec, dst, errdefs.ErrInvalidArgument)
	}
	if path.Clean(dst) == "/" {
		return "", fmt.Errorf("invalid mount config %q: destination can't be '/': %w", spec, errdefs.ErrInvalidArgument)
	}
	return path.Clean(dst), nil
}

// parseVolumeFlag reads one -v: /ctr (anonymous volume), NAME:/ctr or
// /host:/ctr, then [:MODES] where modes are ro|rw, z|Z, nocopy and a
// propagation, comma-separated.
func parseVolumeFlag(spec string) (MountRecord, error) {
	bad := func(why string) error {
		return fmt.Errorf("invalid volume specification %q: %s: %w", spec, why, errdefs.ErrInvalidArgument)
	}
	parts := strings.Split(spec, ":")
	var src, dst, modes string
	switch len(parts) {
	case 1:
		dst = parts[0]
	case 2:
		if validModes(parts[1]) == nil && !path.IsAbs(parts[1]) {
			dst, modes = parts[0], parts[1]
		} else {
			src, dst = parts[0], parts[1]
		}
	case 3:
		src, dst, modes = parts[0], parts[1], parts[2]
	default:
		return MountRecord{}, bad("want [SOURCE:]/container/path[:MODES]")
	}
	if dst == "" {
		return MountRecord{}, bad("no container path")
	}
	if err := validModes(modes); err != nil {
		return MountRecord{}, bad(err.Error())
	}
	d, err := checkDestination(spec, dst)
	if err != nil {
		return MountRecord{}, err
	}
	if src == "." || strings.HasPrefix(src, "./") || strings.HasPrefix(src, "../") {
		// Docker's CLI (23+) takes these as host paths relative to the
		// working directory.
		abs, err := filepath.Abs(src)
		if err != nil {
			return MountRecord{}, bad(err.Error())
		}
		src = abs
	}
	m := MountRecord{Destination: d, RW: true, Mode: modes, Bind: spec}
	for _, w := range strings.Split(modes, ",") {
		switch {
		case w == "ro":
			m.RW = false
		case w == "nocopy":
			m.NoCopy = true
		case isPropagation(w):
			m.Propagation = w
		}
	}
	switch {
	case src == "":
		m.Type, m.Anonymous, m.Bind = "volume", true, ""
	case path.IsAbs(src):
		m.Type, m.Source, m.createHostPath = "bind", path.Clean(src), true
		if m.Propagation == "" {
			m.Propagation = "rprivate"
		}
	default:
		if err := volume.ValidateName(src); err != nil {
			return MountRecord{}, fmt.Errorf("invalid volume specification %q: %w", spec, err)
		}
		m.Type, m.Name = "volume", src
	}
	if m.Type == "volume" {
		if m.Propagation != "" {
			return MountRecord{}, bad("propagation applies to bind mounts only")
		}
		if m.Mode == "" && !m.Anonymous {
			m.Mode = "z"
		}
	} else if m.NoCopy {
		return MountRecord{}, bad("nocopy applies to volumes only")
	}
	return m, nil
}

func validModes(modes string) error {
	if modes == "" {
		return nil
	}
	seen := map[string]bool{}
	for _, w := range strings.Split(modes, ",") {
		kind := w
		switch {
		case w == "ro" || w == "rw":
			kind = "rw"
		case w == "z" || w == "Z":
			kind = "label"
		case isPropagation(w):
			kind = "propagation"
		case w == "nocopy" || w == "consistent" || w == "cached" || w == "delegated":
		default:
			return fmt.Errorf("unknown mode %q (want ro, rw, z, Z, nocopy or a propagation)", w)
		}
		if seen[kind] {
			return fmt.Errorf("mode %q given twice", kind)
		}
		seen[kind] = true
	}
	return nil
}

// parseMountFlag reads one --mount: comma-separated key=value fields
// (CSV, so a value may be quoted), as Docker's. Besides the mount it
// returns the value as typed, for inspect's HostConfig.Mounts.
func parseMountFlag(spec string) (MountRecord, *HostMount, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("invalid argument %q for --mount: %s: %w", spec, fmt.Sprintf(format, a...), errdefs.ErrInvalidArgument)
	}
	fields, err := csv.NewReader(strings.NewReader(spec)).Read()
	if err != nil {
		return MountRecord{}, nil, bad("%v", err)
	}
	m := MountRecord{Type: "volume", RW: true}
	h := &HostMount{Type: "volume"}
	var tmpfsSize, tmpfsMode string
	var sawVolumeOpt, sawBindOpt bool
	for _, f := range fields {
		k, v, hasValue := strings.Cut(f, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		boolean := func() (bool, error) {
			if !hasValue {
				return true, nil
			}
			b, err := strconv.ParseBool(v)
			if err != nil {
				return false, bad("invalid value for %s: %s", k, v)
			}
			return b, nil
		}
		switch k {
		case "readonly", "ro":
			ro, err := boolean()
			if err != nil {
				return MountRecord{}, nil, err
			}
			m.RW, h.ReadOnly = !ro, ro
			continue
		case "volume-nocopy":
			nc, err := boolean()
			if err != nil {
				return MountRecord{}, nil, err
			}
			m.NoCopy, sawVolumeOpt = nc, true
			h.volume().NoCopy = nc
			continue
		}
		if !hasValue {
			return MountRecord{}, nil, bad("invalid field %q: must be a key=value pair", f)
		}
		switch k {
		case "type":
			m.Type, h.Type = v, v
		case "source", "src":
			m.Source, h.Source = v, v
		case "target", "destination", "dst":
			m.Destination, h.Target = v, v
		case "bind-propagation":
			if !isPropagation(v) {
				return MountRecord{}, nil, bad("invalid propagation mode %q", v)
			}
			m.Propagation, sawBindOpt = v, true
			h.bind().Propagation = v
		case "bind-recursive":
			h.bind().NonRecursive = v == "disabled"
		case "consistency":
			h.Consistency = v
		case "volume-driver":
			if v != volume.DriverLocal {
				return MountRecord{}, nil, bad("volume driver %q: only %q is available", v, volume.DriverLocal)
			}
			sawVolumeOpt = true
			h.driver().Name = v
		case "volume-opt", "volume-label":
			kk, vv, ok := strings.Cut(v, "=")
			if !ok || kk == "" {
				return MountRecord{}, nil, bad("invalid %s %q: want key=value", k, v)
			}
			var dst, typed *map[string]string
			if k == "volume-label" {
				dst, typed = &m.volumeLabels, &h.volume().Labels
			} else {
				dst, typed = &m.volumeOpts, &h.driver().Options
			}
			for _, d := range []*map[string]string{dst, typed} {
				if *d == nil {
					*d = map[string]string{}
				}
				(*d)[kk] = vv
			}
			sawVolumeOpt = true
		case "tmpfs-size":
			tmpfsSize = v
		case "tmpfs-mode":
			tmpfsMode = v
		default:
			return MountRecord{}, nil, bad("unexpected key %q", k)
		}
	}
	if m.Destination == "" {
		return MountRecord{}, nil, bad("target is required")
	}
	d, err := checkDestination(spec, m.Destination)
	if err != nil {
		return MountRecord{}, nil, err
	}
	m.Destination = d
	if (tmpfsSize != "" || tmpfsMode != "") && m.Type != "tmpfs" {
		return MountRecord{}, nil, bad("tmpfs options are only for type=tmpfs")
	}
	if sawVolumeOpt && m.Type != "volume" {
		return MountRecord{}, nil, bad("volume options are only for type=volume")
	}
	if sawBindOpt && m.Type != "bind" {
		return MountRecord{}, nil, bad("bind options are only for type=bind")
	}
	switch m.Type {
	case "bind":
		if m.Source == "" {
			return MountRecord{}, nil, bad("source is required for type=bind")
		}
		if !path.IsAbs(m.Source) {
			return MountRecord{}, nil, bad("bind source %q must be an absolute path", m.Source)
		}
		m.Source = path.Clean(m.Source)
		if _, err := os.Stat(m.Source); err != nil {
			return MountRecord{}, nil, fmt.Errorf("invalid mount config for type \"bind\": bind source path does not exist: %s: %w", m.Source, errdefs.ErrInvalidArgument)
		}
		if m.Propagation == "" {
			m.Propagation = "rprivate"
		}
	case "volume":
		if m.Source == "" {
			if !m.RW {
				return MountRecord{}, nil, bad("an anonymous volume cannot be readonly: nothing could fill it")
			}
			m.Anonymous = true
		} else if err := volume.ValidateName(m.Source); err != nil {
			return MountRecord{}, nil, fmt.Errorf("invalid argument %q for --mount: %w", spec, err)
		}
		m.Name, m.Source, m.Mode = m.Source, "", "z"
		if err := volume.Validate(volume.CreateOptions{Options: m.volumeOpts}); err != nil {
			return MountRecord{}, nil, fmt.Errorf("invalid argument %q for --mount: %w", spec, err)
		}
	case "tmpfs":
		if m.Source != "" {
			return MountRecord{}, nil, bad("source is not allowed for type=tmpfs")
		}
		if tmpfsSize != "" {
			n, err := units.RAMInBytes(tmpfsSize)
			if err != nil || n <= 0 {
				return MountRecord{}, nil, bad("invalid tmpfs-size %q", tmpfsSize)
			}
			m.Options = append(m.Options, "size="+strconv.FormatInt(n, 10))
			h.tmpfs().SizeBytes = n
		}
		if tmpfsMode != "" {
			mode, err := strconv.ParseUint(tmpfsMode, 8, 32)
			if err != nil || mode > 07777 {
				return MountRecord{}, nil, bad("invalid tmpfs-mode %q", tmpfsMode)
			}
			m.Options = append(m.Options, fmt.Sprintf("mode=%o", mode))
			h.tmpfs().Mode = os.FileMode(mode)
		}
	default:
		return MountRecord{}, nil, bad("unknown mount type %q (want bind, volume or tmpfs)", m.Type)
	}
	return m, h, nil
}

// parseTmpfsFlag reads one --tmpfs /path[:opt,opt]; the options are
// checked for a valid size.
func parseTmpfsFlag(spec string) (string, string, error) {
	dst, opts, _ := strings.Cut(spec, ":")
	d, err := checkDestination(spec, dst)
	if err != nil {
		return "", "", fmt.Errorf("invalid --tmpfs %q: %w", spec, err)
	}
	for _, o := range strings.Split(opts, ",") {
		if v, ok := strings.CutPrefix(o, "size="); ok {
			if n, err := units.RAMInBytes(v); err != nil || n <= 0 {
				return "", "", fmt.Errorf("invalid --tmpfs %q: bad size %q: %w", spec, v, errdefs.ErrInvalidArgument)
			}
		}
	}
	return d, opts, nil
}

// parseVolumesFrom reads CTR[:ro|rw].
func parseVolumesFrom(spec string) (string, string, error) {
	name, mode, _ := strings.Cut(spec, ":")
	if name == "" || (mode != "" && mode != "ro" && mode != "rw") {
		return "", "", fmt.Errorf("invalid --volumes-from %q: want CONTAINER[:ro|rw]: %w", spec, errdefs.ErrInvalidArgument)
	}
	return name, mode, nil
}
