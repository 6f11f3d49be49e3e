package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/cais-project/cais/internal/engine/network"
	"github.com/cais-project/cais/internal/errdefs"
)

// NetworkInspect is Docker's network inspect document.
type NetworkInspect struct {
	Name       string                      `json:"Name"`
	ID         string                      `json:"Id"`
	Created    string                      `json:"Created"`
	Scope      string                      `json:"Scope"`
	Driver     string                      `json:"Driver"`
	EnableIPv6 bool                        `json:"EnableIPv6"`
	IPAM       NetworkIPAM                 `json:"IPAM"`
	Internal   bool                        `json:"Internal"`
	Attachable bool                        `json:"Attachable"`
	Ingress    bool                        `json:"Ingress"`
	ConfigOnly bool                        `json:"ConfigOnly"`
	Containers map[string]NetworkContainer `json:"Containers"`
	Options    map[string]string           `json:"Options"`
	Labels     map[string]string           `json:"Labels"`
}

// NetworkIPAM is Docker's IPAM block.
type NetworkIPAM struct {
	Driver  string              `json:"Driver"`
	Options map[string]string   `json:"Options"`
	Config  []map[string]string `json:"Config"`
}

// NetworkContainer is one endpoint in a network's inspect document.
type NetworkContainer struct {
	Name        string `json:"Name"`
	EndpointID  string `json:"EndpointID"`
	MacAddress  string `json:"MacAddress"`
	IPv4Address string `json:"IPv4Address"`
	IPv6Address string `json:"IPv6Address"`
}

// CreateNetwork writes a new network's record.
func (e *Engine) CreateNetwork(ctx context.Context, o network.CreateOptions) (*network.Network, error) {
	return e.nets().Create(o)
}

// ListNetworks returns every network (the default one is created on
// first use, so it is always there).
func (e *Engine) ListNetworks(ctx context.Context) ([]NetworkInspect, error) {
	st := e.nets()
	if _, err := st.Default(); err != nil {
		return nil, err
	}
	all, err := st.List()
	if err != nil {
		return nil, err
	}
	ctrs, err := e.listContainers()
	if err != nil {
		return nil, err
	}
	out := make([]NetworkInspect, 0, len(all)+2)
	for _, n := range all {
		out = append(out, networkDoc(n, ctrs))
	}
	out = append(out, e.builtinNetworks(ctrs)...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// InspectNetwork describes the network ref names (name, ID or prefix).
func (e *Engine) InspectNetwork(ctx context.Context, ref string) (NetworkInspect, error) {
	st := e.nets()
	if ref == network.DefaultName {
		if _, err := st.Default(); err != nil {
			return NetworkInspect{}, err
		}
	}
	ctrs, err := e.listContainers()
	if err != nil {
		return NetworkInspect{}, err
	}
	if d, ok := e.builtinNetwork(ref, ctrs); ok {
		return d, nil
	}
	n, err := st.Get(ref)
	if err != nil {
		return NetworkInspect{}, err
	}
	return networkDoc(n, ctrs), nil
}

func networkDoc(n *network.Network, ctrs []*Container) NetworkInspect {
	cfg := map[string]string{"Subnet": n.IPAM.Subnet, "Gateway": n.IPAM.Gateway}
	if n.IPAM.IPRange != "" {
		cfg["IPRange"] = n.IPAM.IPRange
	}
	d := NetworkInspect{
		Name: n.Name, ID: n.ID, Created: n.Created.Format(time.RFC3339Nano), Scope: "local", Driver: n.Driver,
		IPAM:     NetworkIPAM{Driver: "default", Options: map[string]string{}, Config: []map[string]string{cfg}},
		Internal: n.Internal, Containers: map[string]NetworkContainer{},
		Options: map[string]string{"com.docker.network.bridge.name": n.Bridge}, Labels: n.Labels,
	}
	for _, c := range ctrs {
		for _, a := range c.Net.Attachments {
			if a.NetworkID == n.ID {
				d.Containers[c.ID] = NetworkContainer{Name: c.Name, EndpointID: endpointID(c, a), MacAddress: a.MAC,
					IPv4Address: fmt.Sprintf("%s/%d", a.IPAddress, a.PrefixLen)}
			}
		}
	}
	return d
}

// endpointID names an attachment as Docker's EndpointID does (64 hex).
func endpointID(c *Container, a network.Attachment) string {
	id := c.ID[:32] + a.NetworkID[:32]
	return id
}

// networkUsers are the containers attached to n.
func (e *Engine) networkUsers(n *network.Network) ([]*Container, error) {
	ctrs, err := e.listContainers()
	if err != nil {
		return nil, err
	}
	var out []*Container
	for _, c := range ctrs {
		for _, a := range c.Net.Attachments {
			if a.NetworkID == n.ID {
				out = append(out, c)
				break
			}
		}
	}
	return out, nil
}

// RemoveNetwork removes a user-defined network no container uses.
func (e *Engine) RemoveNetwork(ctx context.Context, ref string) error {
	if ref == network.DefaultName || ref == "host" || ref == "none" {
		return fmt.Errorf("%s is a pre-defined network and cannot be removed: %w", ref, errdefs.ErrPermission)
	}
	st := e.nets()
	n, err := st.Get(ref)
	if err != nil {
		return err
	}
	if n.Name == network.DefaultName {
		return fmt.Errorf("%s is a pre-defined network and cannot be removed: %w", n.Name, errdefs.ErrPermission)
	}
	unlock, err := e.lockContainers()
	if err != nil {
		return err
	}
	defer unlock()
	users, err := e.networkUsers(n)
	if err != nil {
		return err
	}
	if len(users) > 0 {
		return fmt.Errorf("network %s is in use by container %s: %w", n.Name, users[0].Name, errdefs.ErrConflict)
	}
	return st.Remove(n)
}

// PruneNetworks removes every user-defined network no container uses and
// returns their names.
func (e *Engine) PruneNetworks(ctx context.Context) ([]string, error) {
	all, err := e.nets().List()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range all {
		if n.Name == network.DefaultName {
			continue
		}
		err := e.RemoveNetwork(ctx, n.ID)
		if errors.Is(err, errdefs.ErrConflict) {
			continue
		}
		if err != nil {
			return out, err
		}
		out = append(out, n.Name)
	}
	return out, nil
}

// ConnectNetwork attaches a container (on a bridge network) to one more
// network, as eth<N>, through CNI ADD in its namespace.
func (e *Engine) ConnectNetwork(ctx context.Context, netRef, ctrRef string, aliases []string, ip string) error {
	c, err := e.FindContainer(ctx, ctrRef)
	if err != nil {
		return err
	}
	st := e.nets()
	var n *network.Network
	if netRef == network.DefaultName {
		n, err = st.Default()
	} else {
		n, err = st.Get(netRef)
	}
	if err != nil {
		return err
	}
	if c.Net.NetNS == "" {
		return fmt.Errorf("container %s uses network mode %q and cannot join networks: %w", c.Name, c.Net.Mode, errdefs.ErrInvalidArgument)
	}
	if n.Name == network.DefaultName && (ip != "" || len(aliases) > 0) {
		return fmt.Errorf("--ip and --alias are supported on user-defined networks only: %w", errdefs.ErrInvalidArgument)
	}
	unlock, err := e.lockContainers()
	if err != nil {
		return err
	}
	defer unlock()
	if c, err = e.loadContainer(c.ID); err != nil {
		return err
	}
	used := map[string]bool{}
	for _, a := range c.Net.Attachments {
		if a.NetworkID == n.ID {
			return fmt.Errorf("container %s is already attached to network %s: %w", c.Name, n.Name, errdefs.ErrConflict)
		}
		used[a.IfName] = true
	}
	ifname := ""
	for i := 0; ifname == ""; i++ {
		if s := fmt.Sprintf("eth%d", i); !used[s] {
			ifname = s
		}
	}
	a, err := st.Attach(ctx, n, c.ID, c.Net.NetNS, network.AttachOptions{IfName: ifname, IP: ip, Aliases: aliases})
	if err != nil {
		return err
	}
	c.Net.Attachments = append(c.Net.Attachments, a)
	if err := e.saveContainer(c); err != nil {
		st.Detach(context.WithoutCancel(ctx), n, c.ID, c.Net.NetNS, a)
		return err
	}
	e.refreshPeers(c, nil)
	return nil
}

// DisconnectNetwork detaches a container from a network (CNI DEL in its
// namespace). With force, a network whose record is gone is dropped from
// the container's record anyway.
func (e *Engine) DisconnectNetwork(ctx context.Context, netRef, ctrRef string, force bool) error {
	c, err := e.FindContainer(ctx, ctrRef)
	if err != nil {
		return err
	}
	st := e.nets()
	n, nerr := st.Get(netRef)
	unlock, err := e.lockContainers()
	if err != nil {
		return err
	}
	defer unlock()
	if c, err = e.loadContainer(c.ID); err != nil {
		return err
	}
	idx := slices.IndexFunc(c.Net.Attachments, func(a network.Attachment) bool {
		return nerr == nil && a.NetworkID == n.ID || nerr != nil && (a.Network == netRef || a.NetworkID == netRef)
	})
	if idx < 0 {
		if nerr != nil {
			return nerr
		}
		return fmt.Errorf("container %s is not connected to network %s: %w", c.Name, n.Name, errdefs.ErrNotFound)
	}
	a := c.Net.Attachments[idx]
	if nerr == nil {
		if err := st.Detach(ctx, n, c.ID, c.Net.NetNS, a); err != nil && !force {
			return err
		}
	} else if !force {
		return nerr
	}
	c.Net.Attachments = slices.Delete(c.Net.Attachments, idx, idx+1)
	if err := e.saveContainer(c); err != nil {
		return err
	}
	e.refreshPeers(c, []network.Attachment{a})
	return nil
}
