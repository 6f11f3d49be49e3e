package engine

// EtcPaths are where a container's /etc files live on the host, as
// Docker's inspect shows them.
type EtcPaths struct {
	ResolvConfPath string `json:"ResolvConfPath"`
	HostnamePath   string `json:"HostnamePath"`
	HostsPath      string `json:"HostsPath"`
}

// DNSHostConfig is the DNS part of Docker's HostConfig: lists are [] when
// not set, ExtraHosts null, as Docker shows them.
type DNSHostConfig struct {
	DNS        []string `json:"Dns"`
	DNSOptions []string `json:"DnsOptions"`
	DNSSearch  []string `json:"DnsSearch"`
	ExtraHosts []string `json:"ExtraHosts"`
}

func (e *Engine) inspectEtc(out *ContainerInspect, c *Container) {
	p := etcPaths(e.runDir(c.ID))
	out.HostsPath, out.ResolvConfPath, out.HostnamePath = p[0], p[1], p[2]
	d := c.DNS
	out.HostConfig.DNS = append([]string{}, d.DNS...)
	out.HostConfig.DNSOptions = append([]string{}, d.DNSOptions...)
	out.HostConfig.DNSSearch = append([]string{}, d.DNSSearch...)
	out.HostConfig.ExtraHosts = d.ExtraHosts
	out.Config.Domainname = d.Domainname
}
