package network

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/containernetworking/cni/libcni"
	types100 "github.com/containernetworking/cni/pkg/types/100"
	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/errdefs"
)

// Attachment records what attaching a container to a network made, so
// that detaching never has to guess.
type Attachment struct {
	Network   string        `json:"network"`
	NetworkID string        `json:"networkId"`
	IfName    string        `json:"ifName"`
	IPAddress string        `json:"ipAddress"`
	PrefixLen int           `json:"prefixLen"`
	Gateway   string        `json:"gateway"`
	MAC       string        `json:"mac"`
	Aliases   []string      `json:"aliases,omitempty"`
	Ports     []PortMapping `json:"ports,omitempty"`
	// RequestedIP and RequestedMAC are what the user asked for (--ip,
	// --mac-address); detach passes them again as CNI expects.
	RequestedIP  string `json:"requestedIp,omitempty"`
	RequestedMAC string `json:"requestedMac,omitempty"`
	// FirewallAfter: the host's FORWARD chain filtered when the container
	// was attached, and the firewall plugin ran after the network's list,
	// as a list of its own (firewall.go). Firewall: the same, from before,
	// with the plugin inside the network's list.
	FirewallAfter bool `json:"firewallAfter,omitempty"`
	Firewall      bool `json:"firewall,omitempty"`
	// NetworkNAT: the network's one masquerade rule serves the container
	// and the bridge plugin's ipMasq was off. Attachments recorded before
	// had a masquerade chain of their own, which their DEL removes.
	NetworkNAT bool `json:"networkNat,omitempty"`
}

// AttachOptions are what a container asks of one network.
type AttachOptions struct {
	IfName  string
	IP, MAC string
	Aliases []string
	Ports   []PortMapping
}

func (s *Store) cni() (*libcni.CNIConfig, error) {
	path := s.CNIPath
	if len(path) == 0 {
		path = DefaultCNIPath
	}
	for _, p := range []string{"bridge", "host-local", "portmap", "firewall", "tuning"} {
		if !havePlugin(path, p) {
			return nil, fmt.Errorf("CNI plugin %q not found in %s (install containernetworking-plugins or set --cni-path): %w",
				p, strings.Join(path, ":"), errdefs.ErrNotFound)
		}
	}
	return libcni.NewCNIConfigWithCacheDir(path, s.cacheDir(), &pluginExec{}), nil
}

func havePlugin(dirs []string, name string) bool {
	for _, d := range dirs {
		if st, err := os.Stat(filepath.Join(d, name)); err == nil && !st.IsDir() {
			return true
		}
	}
	return false
}

// CheckIP reports whether ip may be asked for on n.
func CheckIP(n *Network, ip string) error {
	a, err := netip.ParseAddr(ip)
	if err != nil || !a.Is4() {
		return fmt.Errorf("invalid IP address %q: %w", ip, errdefs.ErrInvalidArgument)
	}
	p, err := netip.ParsePrefix(n.IPAM.Subnet)
	if err != nil || !p.Contains(a) {
		return fmt.Errorf("IP address %s is not in network %s's subnet %s: %w", ip, n.Name, n.IPAM.Subnet, errdefs.ErrInvalidArgument)
	}
	if a.String() == n.IPAM.Gateway || a == p.Masked().Addr() || a == lastAddr(p) {
		return fmt.Errorf("IP address %s is reserved in network %s: %w", ip, n.Name, errdefs.ErrInvalidArgument)
	}
	return nil
}

func (s *Store) runtimeConf(containerID, netns, ifname string, a Attachment) *libcni.RuntimeConf {
	caps := map[string]any{}
	if len(a.Ports) > 0 {
		caps["portMappings"] = a.Ports
	}
	if a.RequestedIP != "" {
		caps["ips"] = []string{a.RequestedIP}
	}
	if a.RequestedMAC != "" {
		caps["mac"] = a.RequestedMAC
	}
	return &libcni.RuntimeConf{ContainerID: containerID, NetNS: netns, IfName: ifname, CapabilityArgs: caps}
}

// Attach runs CNI ADD of n's list for the container in netns, while it
// makes sure of n's masquerade rule. On failure it runs DEL so nothing is
// left.
func (s *Store) Attach(ctx context.Context, n *Network, containerID, netns string, o AttachOptions) (Attachment, error) {
	a, fresh, err := s.attach(ctx, n, containerID, netns, o)
	if err != nil && fresh {
		// A failed first ADD can leave a bridge with no address and no
		// port, which later ADDs would take as claimed.
		s.removeFailedBridge(n)
	}
	return a, err
}

// attach runs the ADD; fresh reports that n's bridge was absent before it.
func (s *Store) attach(ctx context.Context, n *Network, containerID, netns string, o AttachOptions) (a Attachment, fresh bool, err error) {
	if o.IP != "" {
		if err := CheckIP(n, o.IP); err != nil {
			return Attachment{}, false, err
		}
	}
	cfg, err := s.cni()
	if err != nil {
		return Attachment{}, false, err
	}
	go forwardFilters() // needed after the ADD; read while it runs
	release, fresh, err := s.claimSubnet(n)
	if err != nil {
		return Attachment{}, false, err
	}
	defer release()
	unlock, _, err := s.netLock(n, unix.LOCK_SH)
	if err != nil {
		return Attachment{}, fresh, err
	}
	defer unlock()
	// The rule is checked (and added) while the plugins run, and waited
	// for before n's lock is released, so removeFailedBridge never runs
	// between the check and the add.
	type added struct {
		a    Attachment
		rt   *libcni.RuntimeConf
		list *libcni.NetworkConfigList
		err  error
	}
	addc := make(chan added, 1)
	go func() { // first, so that the bridge plugin starts before iptables
		var r added
		r.a, r.rt, r.list, r.err = s.add(ctx, cfg, n, containerID, netns, o)
		addc <- r
	}()
	masq := make(chan error, 1)
	go func() { masq <- s.ensureMasq(n) }()
	r := <-addc
	a, rt, list, err := r.a, r.rt, r.list, r.err
	if err == nil && forwardFilters() {
		a.FirewallAfter = true
		err = s.firewall(ctx, cfg, n, containerID, netns, a, true)
	}
	merr := <-masq
	if merr != nil && err == nil {
		err = fmt.Errorf("network %s: masquerade rule: %w", n.Name, merr)
		if a.FirewallAfter {
			s.firewall(context.WithoutCancel(ctx), cfg, n, containerID, netns, a, false)
		}
	}
	if err != nil && list != nil {
		cfg.DelNetworkList(context.WithoutCancel(ctx), list, rt)
		return Attachment{}, fresh, err
	}
	return a, fresh, err
}

// add runs the ADD of n's list and reads the result into the attachment.
func (s *Store) add(ctx context.Context, cfg *libcni.CNIConfig, n *Network, containerID, netns string, o AttachOptions) (Attachment, *libcni.RuntimeConf, *libcni.NetworkConfigList, error) {
	a := Attachment{Network: n.Name, NetworkID: n.ID, IfName: o.IfName, Aliases: o.Aliases, Ports: o.Ports,
		RequestedIP: o.IP, RequestedMAC: o.MAC, Gateway: n.IPAM.Gateway, NetworkNAT: true}
	b, err := s.confList(n, a)
	if err != nil {
		return Attachment{}, nil, nil, err
	}
	list, err := libcni.ConfListFromBytes(b)
	if err != nil {
		return Attachment{}, nil, nil, fmt.Errorf("network %s: %w", n.Name, err)
	}
	rt := s.runtimeConf(containerID, netns, o.IfName, a)
	res, err := cfg.AddNetworkList(ctx, list, rt)
	if err != nil {
		cfg.DelNetworkList(context.WithoutCancel(ctx), list, rt)
		return Attachment{}, nil, nil, fmt.Errorf("attaching to network %s: %w", n.Name, err)
	}
	r, err := types100.NewResultFromResult(res)
	if err != nil {
		cfg.DelNetworkList(context.WithoutCancel(ctx), list, rt)
		return Attachment{}, nil, nil, fmt.Errorf("network %s: reading the CNI result: %w", n.Name, err)
	}
	for _, ip := range r.IPs {
		if ip.Address.IP.To4() != nil {
			ones, _ := ip.Address.Mask.Size()
			a.IPAddress, a.PrefixLen = ip.Address.IP.String(), ones
			if ip.Interface != nil && *ip.Interface < len(r.Interfaces) {
				a.MAC = r.Interfaces[*ip.Interface].Mac
			}
			break
		}
	}
	for _, i := range r.Interfaces {
		if i.Name == o.IfName && i.Sandbox != "" && i.Mac != "" {
			a.MAC = i.Mac // tuning's, when --mac-address changed it
		}
	}
	return a, rt, list, nil
}

// Detach runs CNI DEL for what Attach recorded. The network's bridge and
// masquerade rule stay, also after its last container (bridgegc_linux.go).
// A network whose record is gone cannot be detached from (its config is
// unknown); the caller decides.
func (s *Store) Detach(ctx context.Context, n *Network, containerID, netns string, a Attachment) error {
	cfg, err := s.cni()
	if err != nil {
		return err
	}
	b, err := s.confList(n, a)
	if err != nil {
		return err
	}
	list, err := libcni.ConfListFromBytes(b)
	if err != nil {
		return err
	}
	if a.FirewallAfter {
		if err := s.firewall(ctx, cfg, n, containerID, netns, a, false); err != nil {
			return err // the record keeps the attachment for a retry
		}
	}
	if err := cfg.DelNetworkList(ctx, list, s.runtimeConf(containerID, netns, a.IfName, a)); err != nil {
		return fmt.Errorf("detaching from network %s: %w", n.Name, err)
	}
	return nil
}
