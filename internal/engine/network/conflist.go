package network

import (
	"encoding/json"
	"path/filepath"
)

// cniVersion is what the generated lists speak; Debian's plugins support it.
const cniVersion = "1.0.0"

// confList is the CNI configuration list of n for attachment a: a bridge
// with host-local IPAM (allocations under the runroot, so separate roots
// never share them), portmap when a publishes ports, firewall only for
// attachments recorded with it in the list (a.Firewall; it now runs after
// the list, firewall.go), and tuning when a asks for a MAC address. The bridge masquerades (ipMasq, a chain per
// container) only for attachments recorded before NAT became the
// network's one rule (a.NetworkNAT false, see masq_linux.go), so that
// their DEL still removes that chain.
//
// --ip may name any address of the subnet while --ip-range only bounds
// dynamic allocation, so an attachment with a requested address gets the
// whole subnet as its range; the allocation store is the same either way.
func (s *Store) confList(n *Network, a Attachment) ([]byte, error) {
	rng := map[string]any{"subnet": n.IPAM.Subnet, "gateway": n.IPAM.Gateway}
	if n.IPAM.IPRange != "" && a.RequestedIP == "" {
		rng["rangeStart"], rng["rangeEnd"] = rangeBounds(n.IPAM.IPRange)
	}
	ipam := map[string]any{
		"type":    "host-local",
		"dataDir": filepath.Join(s.ipamDir(), n.ID),
		"ranges":  [][]any{{rng}},
	}
	if !n.Internal {
		ipam["routes"] = []any{map[string]any{"dst": "0.0.0.0/0"}}
	}
	plugins := []any{
		map[string]any{
			"type": "bridge", "bridge": n.Bridge, "isGateway": true, "ipMasq": !n.Internal && !a.NetworkNAT,
			"hairpinMode": true, "ipam": ipam,
			"capabilities": map[string]bool{"ips": true},
		},
	}
	// Each plugin is a process (and portmap a dozen iptables runs), so
	// the ones with nothing to do for this attachment are left out; DEL
	// gets the same list, generated from the same record.
	if len(a.Ports) > 0 {
		plugins = append(plugins, map[string]any{"type": "portmap", "snat": true, "capabilities": map[string]bool{"portMappings": true}})
	}
	if a.Firewall {
		plugins = append(plugins, map[string]any{"type": "firewall"})
	}
	if a.RequestedMAC != "" {
		plugins = append(plugins, map[string]any{"type": "tuning", "capabilities": map[string]bool{"mac": true}})
	}
	return json.Marshal(map[string]any{
		"cniVersion": cniVersion,
		"name":       "cais-" + n.ID[:12],
		"plugins":    plugins,
	})
}
