package engine

// HostSettings are the HostConfig fields of inspect that the create flags
// of container_settings.go set, with Docker's names; the resource limits
// that `cais update` can change are InspectResources, read from the spec.
type HostSettings struct {
	OomScoreAdj    int           `json:"OomScoreAdj"`
	Privileged     bool          `json:"Privileged"`
	ReadonlyRootfs bool          `json:"ReadonlyRootfs"`
	CapAdd         []string      `json:"CapAdd"`
	CapDrop        []string      `json:"CapDrop"`
	Init           *bool         `json:"Init"`
	ShmSize        int64         `json:"ShmSize"`
	RestartPolicy  RestartPolicy `json:"RestartPolicy"`
}

// RestartPolicy is Docker's HostConfig.RestartPolicy.
type RestartPolicy struct {
	Name              string `json:"Name"`
	MaximumRetryCount int    `json:"MaximumRetryCount"`
}

// ConfigSettings are the Config fields of inspect that the create flags
// set; StopSignal and StopTimeout are left out when unset, as Docker does.
type ConfigSettings struct {
	User        string   `json:"User"`
	Entrypoint  []string `json:"Entrypoint"`
	StopSignal  string   `json:"StopSignal,omitempty"`
	StopTimeout *int     `json:"StopTimeout,omitempty"`
}

// defaultShmSize is /dev/shm's size when --shm-size is not given.
const defaultShmSize = 64 << 20

// inspectSettings fills what the record's settings say.
func inspectSettings(out *ContainerInspect, c *Container) {
	s := c.Settings
	h := &out.HostConfig.HostSettings
	h.OomScoreAdj = s.OOMScoreAdj
	h.Privileged, h.ReadonlyRootfs = s.Privileged, s.ReadOnly
	h.CapAdd, h.CapDrop = s.CapAdd, s.CapDrop
	if s.Init {
		h.Init = &s.Init
	}
	h.ShmSize = s.ShmSize
	if h.ShmSize == 0 {
		h.ShmSize = defaultShmSize
	}
	h.RestartPolicy = RestartPolicy{Name: c.RestartPolicy.Name, MaximumRetryCount: c.RestartPolicy.MaxRetries}
	if h.RestartPolicy.Name == "" {
		h.RestartPolicy.Name = "no"
	}
	out.Config.User, out.Config.WorkingDir, out.Config.Entrypoint = s.User, s.WorkingDir, s.Entrypoint
	out.Config.StopSignal, out.Config.StopTimeout = s.StopSignal, s.StopTimeout
}
