package engine

import "os"

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

// bind, volume, driver and tmpfs are h's option blocks, made on first use:
// Docker shows a block only when one of its keys was given.
func (h *HostMount) bind() *HostBindOptions {
	if h.BindOptions == nil {
		h.BindOptions = &HostBindOptions{}
	}
	return h.BindOptions
}

func (h *HostMount) volume() *HostVolumeOptions {
	if h.VolumeOptions == nil {
		h.VolumeOptions = &HostVolumeOptions{}
	}
	return h.VolumeOptions
}

func (h *HostMount) driver() *HostVolumeDriver {
	if h.volume().DriverConfig == nil {
		h.VolumeOptions.DriverConfig = &HostVolumeDriver{}
	}
	return h.VolumeOptions.DriverConfig
}

func (h *HostMount) tmpfs() *HostTmpfsOptions {
	if h.TmpfsOptions == nil {
		h.TmpfsOptions = &HostTmpfsOptions{}
	}
	return h.TmpfsOptions
}

// inspectHostMounts fills HostConfig.Mounts and HostConfig.Tmpfs from the
// record.
func inspectHostMounts(out *ContainerInspect, c *Container) {
	out.HostConfig.Mounts, out.HostConfig.Tmpfs = c.HostMounts, c.Tmpfs
}
