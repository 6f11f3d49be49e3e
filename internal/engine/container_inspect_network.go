package engine

import (
	"sort"
	"strconv"

	"github.com/cais-project/cais/internal/engine/network"
)

// NetworkSettings is Docker's NetworkSettings block of container inspect.
// As Docker, the top-level IPAddress, Gateway and MacAddress describe the
// default bridge network only; Networks has every network.
type NetworkSettings struct {
	Bridge      string                       `json:"Bridge"`
	SandboxID   string                       `json:"SandboxID"`
	SandboxKey  string                       `json:"SandboxKey"`
	Ports       map[string][]PortBinding     `json:"Ports"`
	Gateway     string                       `json:"Gateway"`
	IPAddress   string                       `json:"IPAddress"`
	IPPrefixLen int                          `json:"IPPrefixLen"`
	MacAddress  string                       `json:"MacAddress"`
	Networks    map[string]*EndpointSettings `json:"Networks"`
}

// PortBinding is one host side of a published port.
type PortBinding struct {
	HostIP   string `json:"HostIp"`
	HostPort string `json:"HostPort"`
}

// EndpointSettings is one network of a container, as Docker shows it.
type EndpointSettings struct {
	Aliases     []string `json:"Aliases"`
	NetworkID   string   `json:"NetworkID"`
	EndpointID  string   `json:"EndpointID"`
	Gateway     string   `json:"Gateway"`
	IPAddress   string   `json:"IPAddress"`
	IPPrefixLen int      `json:"IPPrefixLen"`
	MacAddress  string   `json:"MacAddress"`
	DNSNames    []string `json:"DNSNames"`
}

// inspectNetwork fills NetworkSettings and HostConfig.NetworkMode from
// the container's record.
func (e *Engine) inspectNetwork(out *ContainerInspect, c *Container) {
	ns := NetworkSettings{SandboxKey: c.Net.NetNS, Ports: map[string][]PortBinding{}, Networks: map[string]*EndpointSettings{}}
	if c.Net.Mode != "" {
		out.HostConfig.NetworkMode = c.Net.Mode
	}
	if c.Net.Mode == "none" || c.Net.Mode == "host" {
		ns.Networks[c.Net.Mode] = &EndpointSettings{}
	}
	for _, a := range c.Net.Attachments {
		ep := &EndpointSettings{Aliases: a.Aliases, NetworkID: a.NetworkID, EndpointID: endpointID(c, a),
			Gateway: a.Gateway, IPAddress: a.IPAddress, IPPrefixLen: a.PrefixLen, MacAddress: a.MAC}
		if a.Network != network.DefaultName {
			ep.DNSNames = append([]string{c.Name, c.ID[:12]}, a.Aliases...)
		}
		ns.Networks[a.Network] = ep
		if a.Network == network.DefaultName {
			ns.Gateway, ns.IPAddress, ns.IPPrefixLen, ns.MacAddress = a.Gateway, a.IPAddress, a.PrefixLen, a.MAC
		}
		for _, p := range a.Ports {
			ip := p.HostIP
			if ip == "" {
				ip = "0.0.0.0"
			}
			ns.Ports[p.Key()] = append(ns.Ports[p.Key()], PortBinding{HostIP: ip, HostPort: strconv.Itoa(p.HostPort)})
		}
	}
	out.NetworkSettings = ns
	out.HostConfig.PortBindings = ns.Ports
}

// ContainerPorts are the container's published ports, by container port.
func (e *Engine) ContainerPorts(c *Container) []network.PortMapping {
	var out []network.PortMapping
	for _, a := range c.Net.Attachments {
		out = append(out, a.Ports...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].ContainerPort != out[j].ContainerPort {
			return out[i].ContainerPort < out[j].ContainerPort
		}
		return out[i].Protocol < out[j].Protocol
	})
	return out
}
