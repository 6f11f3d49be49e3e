package engine

import (
	"encoding/csv"
	"os"
	"strconv"
	"strings"

	"github.com/cais-project/cais/internal/units"
)

// HostMount is one --mount value as Docker keeps it in
// HostConfig.Mounts: what the user typed, in its fields, not what was
// mounted (a volume's Source is its name, empty for an anonymous one;
// each options block only when one of its keys was given).
type HostMount struct {
	Type          string             `json:"Type,omitempty"`
	Source        string             `json:"Source,omitempty"`
	Target        string             `json:"Target,omitempty"`
	ReadOnly      bool               `json:"ReadOnly,omitempty"`
	Consistency   string             `json:"Consistency,omitempty"`
	BindOptions   *HostBindOptions   `json:"BindOptions,omitempty"`
	VolumeOptions *HostVolumeOptions `json:"VolumeOptions,omitempty"`
	TmpfsOptions  *HostTmpfsOptions  `json:"TmpfsOptions,omitempty"`
}

// HostBindOptions are a bind --mount's bind-* keys.
type HostBindOptions struct {
	Propagation  string `json:"Propagation,omitempty"`
	NonRecursive bool   `json:"NonRecursive,omitempty"`
}

// HostVolumeOptions are a volume --mount's volume-* keys.
type HostVolumeOptions struct {
	NoCopy       bool              `json:"NoCopy,omitempty"`
	Labels       map[string]string `json:"Labels,omitempty"`
	DriverConfig *HostVolumeDriver `json:"DriverConfig,omitempty"`
}

// HostVolumeDriver is volume-driver and volume-opt.
type HostVolumeDriver struct {
	Name    string            `json:"Name,omitempty"`
	Options map[string]string `json:"Options,omitempty"`
}

// HostTmpfsOptions are a tmpfs --mount's tmpfs-* keys; Mode is the
// permission bits as a number, as Docker's os.FileMode encodes.
type HostTmpfsOptions struct {
	SizeBytes int64       `json:"SizeBytes,omitempty"`
	Mode      os.FileMode `json:"Mode,omitempty"`
}

// hostConfigMounts are HostConfig.Mounts (--mount) and HostConfig.Tmpfs
// (--tmpfs path → options, as typed) for o, already checked by
// planMounts.
func hostConfigMounts(o MountOptions) ([]HostMount, map[string]string) {
	var mounts []HostMount
	for _, s := range o.Mounts {
		if m, ok := hostMount(s); ok {
			mounts = append(mounts, m)
		}
	}
	var tmpfs map[string]string
	for _, s := range o.Tmpfs {
		if tmpfs == nil {
			tmpfs = map[string]string{}
		}
		k, v, _ := strings.Cut(s, ":")
		tmpfs[k] = v
	}
	return mounts, tmpfs
}

func hostMount(spec string) (HostMount, bool) {
	fields, err := csv.NewReader(strings.NewReader(spec)).Read()
	if err != nil {
		return HostMount{}, false
	}
	m := HostMount{Type: "volume"}
	bind := func() *HostBindOptions {
		if m.BindOptions == nil {
			m.BindOptions = &HostBindOptions{}
		}
		return m.BindOptions
	}
	vol := func() *HostVolumeOptions {
		if m.VolumeOptions == nil {
			m.VolumeOptions = &HostVolumeOptions{}
		}
		return m.VolumeOptions
	}
	driver := func() *HostVolumeDriver {
		if vol().DriverConfig == nil {
			m.VolumeOptions.DriverConfig = &HostVolumeDriver{}
		}
		return m.VolumeOptions.DriverConfig
	}
	tmpfs := func() *HostTmpfsOptions {
		if m.TmpfsOptions == nil {
			m.TmpfsOptions = &HostTmpfsOptions{}
		}
		return m.TmpfsOptions
	}
	for _, f := range fields {
		k, v, hasValue := strings.Cut(f, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		on := !hasValue
		if hasValue {
			on, _ = strconv.ParseBool(v)
		}
		switch k {
		case "type":
			m.Type = v
		case "source", "src":
			m.Source = v
		case "target", "destination", "dst":
			m.Target = v
		case "readonly", "ro":
			m.ReadOnly = on
		case "consistency":
			m.Consistency = v
		case "bind-propagation":
			bind().Propagation = v
		case "bind-recursive":
			bind().NonRecursive = v == "disabled"
		case "volume-nocopy":
			vol().NoCopy = on
		case "volume-driver":
			driver().Name = v
		case "volume-label", "volume-opt":
			kk, vv, _ := strings.Cut(v, "=")
			dst := &vol().Labels
			if k == "volume-opt" {
				dst = &driver().Options
			}
			if *dst == nil {
				*dst = map[string]string{}
			}
			(*dst)[kk] = vv
		case "tmpfs-size":
			n, _ := units.RAMInBytes(v)
			tmpfs().SizeBytes = n
		case "tmpfs-mode":
			mode, _ := strconv.ParseUint(v, 8, 32)
			tmpfs().Mode = os.FileMode(mode)
		}
	}
	return m, true
}

// inspectHostMounts fills HostConfig.Mounts and HostConfig.Tmpfs from the
// record.
func inspectHostMounts(out *ContainerInspect, c *Container) {
	out.HostConfig.Mounts, out.HostConfig.Tmpfs = c.HostMounts, c.Tmpfs
}
