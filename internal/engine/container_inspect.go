package engine

import (
	"context"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/engine/monitor"
)

// ContainerInspect is Docker's container inspect document, with the
// fields cais knows. Field names and JSON keys are Docker's.
type ContainerInspect struct {
	ID         string                `json:"Id"`
	Created    string                `json:"Created"`
	Path       string                `json:"Path"`
	Args       []string              `json:"Args"`
	State      ContainerInspectState `json:"State"`
	Image      string                `json:"Image"`
	Name       string                `json:"Name"`
	HostConfig HostConfig            `json:"HostConfig"`
	Config     ContainerConfig       `json:"Config"`
	Mounts     []MountPoint          `json:"Mounts"`
	EtcPaths
	// NetworkSettings: container_inspect_network.go.
	NetworkSettings NetworkSettings `json:"NetworkSettings"`
}

// ContainerInspectState is a container's life as inspect shows it.
type ContainerInspectState struct {
	Status     string `json:"Status"` // "created", "running", "restarting", "exited"
	Running    bool   `json:"Running"`
	Paused     bool   `json:"Paused"`
	Restarting bool   `json:"Restarting"`
	Pid        int    `json:"Pid"`
	ExitCode   int    `json:"ExitCode"`
	Error      string `json:"Error"`
	StartedAt  string `json:"StartedAt"`
	FinishedAt string `json:"FinishedAt"`
	// Health is there when the container has a check.
	Health *monitor.Health `json:"Health,omitempty"`
}

// HostConfig is the part of the container's settings that is about the
// host.
type HostConfig struct {
	Memory      int64    `json:"Memory"`
	PidsLimit   int64    `json:"PidsLimit"`
	NetworkMode string   `json:"NetworkMode"`
	AutoRemove  bool     `json:"AutoRemove"`
	Binds       []string `json:"Binds"`
	// Mounts are the --mount values, Tmpfs the --tmpfs ones (path → options).
	Mounts []HostMount       `json:"Mounts,omitempty"`
	Tmpfs  map[string]string `json:"Tmpfs,omitempty"`
	// PortBindings: the published ports (container_inspect_network.go).
	PortBindings map[string][]PortBinding `json:"PortBindings"`
	DNSHostConfig
	HostSettings
	// The limits `cais update` changes, read from the bundle's spec.
	InspectResources
}

// ContainerConfig is the part of the container's settings that is
// portable.
type ContainerConfig struct {
	Hostname   string            `json:"Hostname"`
	Domainname string            `json:"Domainname"`
	Env        []string          `json:"Env"`
	Cmd        []string          `json:"Cmd"`
	Image      string            `json:"Image"`
	WorkingDir string            `json:"WorkingDir"`
	Labels     map[string]string `json:"Labels"`
	ConfigSettings
	// Healthcheck is the check in effect (the image's and the flags').
	Healthcheck *monitor.HealthConfig `json:"Healthcheck,omitempty"`
}

// MountPoint is one mount the user asked for, in Docker's shape.
type MountPoint struct {
	Type        string `json:"Type"`
	Name        string `json:"Name,omitempty"`
	Source      string `json:"Source"`
	Destination string `json:"Destination"`
	Driver      string `json:"Driver,omitempty"`
	Mode        string `json:"Mode"`
	RW          bool   `json:"RW"`
	Propagation string `json:"Propagation"`
}

// zeroTime is how Docker writes a time that has not happened.
const zeroTime = "0001-01-01T00:00:00Z"

func inspectTime(t time.Time) string {
	if t.IsZero() {
		return zeroTime
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// InspectContainer describes the container s names (name, ID or prefix).
func (e *Engine) InspectContainer(ctx context.Context, s string) (ContainerInspect, error) {
	c, err := e.FindContainer(ctx, s)
	if err != nil {
		return ContainerInspect{}, err
	}
	st, err := e.State(ctx, c)
	if err != nil {
		return ContainerInspect{}, err
	}
	out := ContainerInspect{
		ID: c.ID, Created: inspectTime(c.Created), Image: c.ImageID, Name: "/" + c.Name,
		Args: []string{}, Mounts: []MountPoint{},
		State: ContainerInspectState{
			Status: st.State, Running: st.State == monitor.StateRunning || st.State == StatePaused, Paused: st.State == StatePaused, Restarting: st.State == monitor.StateRestarting,
			ExitCode: st.ExitCode, StartedAt: inspectTime(st.StartedAt), FinishedAt: inspectTime(st.FinishedAt),
		},
		HostConfig: HostConfig{AutoRemove: c.AutoRemove, Binds: []string{}},
		Config:     ContainerConfig{Image: c.Image, Cmd: c.Command, Labels: map[string]string{}},
	}
	if len(c.Command) > 0 {
		out.Path, out.Args = c.Command[0], c.Command[1:]
	}
	out.State.Health, out.Config.Healthcheck = e.containerHealth(c), c.Monitor.Health
	if out.State.Running && monitor.Alive(e.monitorDir(c.ID)) {
		if ms, err := monitor.Open(e.monitorDir(c.ID)).Status(ctx); err == nil {
			out.State.Pid = ms.Pid
			out.State.Error = ms.Error
		}
	}
	if img, _, err := e.findImage(ctx, c.ImageID); err == nil && img.loadErr == nil {
		for k, v := range img.loaded.Config.Config.Labels {
			out.Config.Labels[k] = v
		}
	}
	for k, v := range c.Settings.Labels {
		out.Config.Labels[k] = v
	}
	spec, err := e.containerSpec(c)
	if err == nil {
		e.inspectSpec(&out, c, spec)
	}
	e.inspectEtc(&out, c)
	inspectSettings(&out, c)
	inspectResources(&out.HostConfig, spec)
	inspectMounts(&out, c)
	inspectHostMounts(&out, c)
	e.inspectNetwork(&out, c)
	return out, nil
}

// inspectSpec fills what the OCI spec holds.
func (e *Engine) inspectSpec(out *ContainerInspect, c *Container, spec *specs.Spec) {
	out.Config.Hostname = spec.Hostname
	out.Config.Env = spec.Process.Env
	out.Config.WorkingDir = spec.Process.Cwd
	out.HostConfig.NetworkMode = "host"
	if spec.Linux != nil {
		for _, ns := range spec.Linux.Namespaces {
			if ns.Type == specs.NetworkNamespace && ns.Path == "" {
				out.HostConfig.NetworkMode = "none"
			}
		}
		if r := spec.Linux.Resources; r != nil {
			if r.Memory != nil && r.Memory.Limit != nil {
				out.HostConfig.Memory = *r.Memory.Limit
			}
			if r.Pids != nil && r.Pids.Limit != nil {
				out.HostConfig.PidsLimit = *r.Pids.Limit
			}
		}
	}
	runDir := e.runDir(c.ID) + "/"
	for _, m := range spec.Mounts {
		if m.Type != "bind" || strings.HasPrefix(m.Source, runDir) {
			continue // the engine's own /etc files
		}
		mode := "rw"
		for _, o := range m.Options {
			if o == "ro" {
				mode = "ro"
			}
		}
		bind := m.Source + ":" + m.Destination
		if mode == "ro" {
			bind += ":ro"
		}
		out.HostConfig.Binds = append(out.HostConfig.Binds, bind)
		out.Mounts = append(out.Mounts, MountPoint{Type: "bind", Source: m.Source, Destination: m.Destination,
			Mode: mode, RW: mode == "rw", Propagation: "rprivate"})
	}
}
