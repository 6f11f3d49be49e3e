package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/cais-project/cais/internal/engine/monitor"
	"github.com/cais-project/cais/internal/engine/network"
	"github.com/cais-project/cais/internal/errdefs"
)

// NetworkOptions are a container's network flags (--network, -p, ...).
type NetworkOptions struct {
	// Networks are --network values: "none", "host", "container:ID",
	// "bridge" or a network's name; empty is the default bridge.
	Networks []string
	Aliases  []string // --network-alias (user-defined networks)
	IP, MAC  string   // --ip, --mac-address (first network)
	Publish  []string // -p values
	// PublishAll (-P) publishes the image's exposed ports on random ports.
	PublishAll bool
}

// ContainerNet is what the engine made for a container's networking,
// recorded so that cleanup never guesses.
type ContainerNet struct {
	// Mode is Docker's NetworkMode: "none", "host", "container:<id>", or
	// the first network's name.
	Mode string `json:"mode,omitempty"`
	// NetNS is the namespace file the engine made (empty for none, host
	// and container:).
	NetNS string `json:"netns,omitempty"`
	// Attachments are the networks joined, in order (eth0, eth1, ...).
	Attachments []network.Attachment `json:"attachments,omitempty"`
	// Hostname is the container's host name, for its peers' hosts files.
	Hostname string `json:"hostname,omitempty"`
}

func (e *Engine) nets() *network.Store {
	return &network.Store{Root: e.opts.Root, RunRoot: e.opts.RunRoot, CNIPath: e.opts.CNIPath}
}

// netPlan is the checked form of NetworkOptions.
type netPlan struct {
	mode     string // "none", "host", "container", "cni"
	shareID  string // container:ID target
	networks []*network.Network
	ports    []network.PortMapping
	o        NetworkOptions
}

// planNetwork checks the network flags before anything exists.
func (e *Engine) planNetwork(ctx context.Context, o RunOptions, img *image) (*netPlan, error) {
	no := o.Net
	nets := no.Networks
	if len(nets) == 0 && o.Network != "" {
		nets = []string{o.Network}
	}
	if len(nets) == 0 {
		nets = []string{network.DefaultName}
	}
	p := &netPlan{o: no}
	for _, n := range nets {
		special := n == "none" || n == "host" || strings.HasPrefix(n, "container:")
		if special && len(nets) > 1 {
			return nil, fmt.Errorf("network %q cannot be combined with other networks: %w", n, errdefs.ErrInvalidArgument)
		}
	}
	var ports []network.PortMapping
	for _, s := range no.Publish {
		ps, err := network.ParsePublish(s)
		if err != nil {
			return nil, err
		}
		ports = append(ports, ps...)
	}
	if no.PublishAll && img != nil {
		keys := make([]string, 0, len(img.loaded.Config.Config.ExposedPorts))
		for k := range img.loaded.Config.Config.ExposedPorts {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ps, err := network.ParseExposed(k)
			if err != nil {
				return nil, fmt.Errorf("image's exposed port: %w", err)
			}
			ports = append(ports, ps...)
		}
	}
	p.ports = ports
	switch first := nets[0]; {
	case first == "none" || first == "host":
		p.mode = first
	case strings.HasPrefix(first, "container:"):
		p.mode = "container"
		other, err := e.FindContainer(ctx, strings.TrimPrefix(first, "container:"))
		if err != nil {
			return nil, err
		}
		p.shareID = other.ID
	default:
		p.mode = "cni"
	}
	if p.mode == "host" {
		ports, p.ports = nil, nil // Docker discards them: the host's ports are the container's
	}
	if p.mode != "cni" {
		if len(ports) > 0 {
			return nil, fmt.Errorf("published ports need a bridge network, not %q: %w", nets[0], errdefs.ErrInvalidArgument)
		}
		if no.IP != "" || no.MAC != "" || len(no.Aliases) > 0 {
			return nil, fmt.Errorf("--ip, --mac-address and --network-alias need a bridge network, not %q: %w", nets[0], errdefs.ErrInvalidArgument)
		}
		return p, nil
	}
	network.ReadHostFirewall() // needed by the attach, read meanwhile
	st := e.nets()
	for _, name := range nets {
		var n *network.Network
		var err error
		if name == network.DefaultName || name == "default" {
			n, err = st.Default()
		} else {
			n, err = st.Get(name)
		}
		if err != nil {
			return nil, err
		}
		for _, have := range p.networks {
			if have.ID == n.ID {
				return nil, fmt.Errorf("network %s given twice: %w", name, errdefs.ErrInvalidArgument)
			}
		}
		p.networks = append(p.networks, n)
	}
	if p.networks[0].Name == network.DefaultName && (no.IP != "" || len(no.Aliases) > 0) {
		return nil, fmt.Errorf("--ip and --network-alias are supported on user-defined networks only: %w", errdefs.ErrInvalidArgument)
	}
	if no.IP != "" {
		if err := network.CheckIP(p.networks[0], no.IP); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// specNetwork is the network mode specgen gets for c.
func (e *Engine) specNetwork(ctx context.Context, c *Container, p *netPlan) (string, error) {
	switch p.mode {
	case "none", "host":
		return p.mode, nil
	case "container":
		other, err := e.loadContainer(p.shareID)
		if err != nil {
			return "", err
		}
		if other.Net.NetNS != "" {
			return "ns:" + other.Net.NetNS, nil
		}
		if other.Net.Mode == "host" {
			return "host", nil
		}
		st, err := monitor.Open(e.monitorDir(other.ID)).Status(ctx)
		if err != nil || st.Pid <= 0 {
			return "", fmt.Errorf("container %s is not running: %w", other.Name, errdefs.ErrConflict)
		}
		return fmt.Sprintf("ns:/proc/%d/ns/net", st.Pid), nil
	}
	return "ns:" + c.Net.NetNS, nil
}

// setupNetwork makes the namespace and starts attaching c to its
// networks, recording the namespace in c (and its record) before it
// returns. It returns the network mode for specgen, known before any
// attach, and attached, which waits for the attaches, records them in c
// and its record, and returns their error. The caller prepares the
// bundle meanwhile (the plugins' processes leave a core idle most of the
// time) and must call attached before it touches c again, also when it
// fails; cleanup then undoes exactly what was recorded.
func (e *Engine) setupNetwork(ctx context.Context, c *Container, p *netPlan, hostname string) (mode string, attached func() error, err error) {
	attached, err = e.attachAll(ctx, c, p, hostname)
	if err != nil {
		return "", nil, err
	}
	mode, err = e.specNetwork(ctx, c, p)
	if err != nil {
		return "", nil, errors.Join(err, attached())
	}
	return mode, attached, nil
}

func (e *Engine) attachAll(ctx context.Context, c *Container, p *netPlan, hostname string) (func() error, error) {
	none := func() error { return nil }
	// Without a namespace of its own there is nothing to undo after a
	// crash, so the mode waits for the record's next save (startMonitorSaving);
	// a namespace is recorded before anything is attached to it.
	switch p.mode {
	case "none", "host":
		c.Net.Mode = p.mode
		return none, nil
	case "container":
		c.Net.Mode = "container:" + p.shareID
		return none, nil
	}
	c.Net.Mode = p.networks[0].Name
	c.Net.Hostname = hostname
	if hostname == "" {
		c.Net.Hostname = c.ID[:12]
	}
	st := e.nets()
	path := st.NetNSPath(c.ID)
	if err := network.NewNetNS(path); err != nil {
		return nil, err
	}
	c.Net.NetNS = path
	if err := e.saveContainer(c); err != nil {
		return nil, err
	}
	if err := network.ResolveHostPorts(p.ports); err != nil {
		return nil, err
	}
	// The attaches touch nothing of c: what they made is recorded by
	// attached, after the bundle's record save. A crash before that leaves
	// their allocations unrecorded, as one during an ADD always could.
	var made []network.Attachment
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i, n := range p.networks {
			ao := network.AttachOptions{IfName: fmt.Sprintf("eth%d", i)}
			if n.Name != network.DefaultName {
				ao.Aliases = p.o.Aliases
			}
			if i == 0 {
				ao.IP, ao.MAC, ao.Ports = p.o.IP, p.o.MAC, p.ports
			}
			var a network.Attachment
			if a, err = st.Attach(ctx, n, c.ID, path, ao); err != nil {
				return
			}
			made = append(made, a)
		}
	}()
	return func() error {
		<-done
		if len(made) > 0 {
			c.Net.Attachments = append(c.Net.Attachments, made...)
			if serr := e.saveContainer(c); serr != nil && err == nil {
				err = serr
			}
		}
		return err
	}, nil
}

// teardownNetwork undoes setupNetwork: CNI DEL for each attachment (last
// first), the namespace file (and the cache file of the loopback plugin
// that older cais ran). It is safe to run again after a
// partial failure: what is done is dropped from the record.
func (e *Engine) teardownNetwork(ctx context.Context, c *Container) error {
	if c.Net.NetNS == "" && len(c.Net.Attachments) == 0 {
		return nil
	}
	st := e.nets()
	netns := c.Net.NetNS
	if _, err := os.Stat(netns); err != nil {
		netns = "" // gone (a reboot): plugins then release only host state
	}
	if netns != "" && !network.DelNeedsNetNS(c.Net.Attachments) {
		// The namespace first, its devices with it (network/teardown.go);
		// a failing DEL below is retried without it, as after a reboot.
		if err := network.RemoveNetNS(netns); err != nil {
			return err
		}
		netns = ""
	}
	var errs []error
	for i := len(c.Net.Attachments) - 1; i >= 0; i-- {
		a := c.Net.Attachments[i]
		n, err := st.Get(a.NetworkID)
		if errors.Is(err, errdefs.ErrNotFound) {
			continue // its record is gone, and with it its config
		}
		if err == nil {
			err = st.Detach(ctx, n, c.ID, netns, a)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if err := st.ForgetLegacyLoopback(c.ID); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := network.RemoveNetNS(c.Net.NetNS); err != nil {
		return err
	}
	left := c.Net.Attachments
	c.Net.Attachments, c.Net.NetNS = nil, ""
	// Saved before the peers are told, so that no other process still
	// finds this container among its peers (and writes into its files
	// while they are being removed).
	if err := e.saveContainer(c); err != nil {
		return err
	}
	e.refreshPeers(c, left)
	return nil
}
