package network

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/containernetworking/cni/libcni"
)

// When the host's FORWARD chain filters (forwardFilters), a container
// needs the firewall plugin's ACCEPT rules. Reading the chain is an
// iptables process, so the network's ADD does not wait for it: the
// plugin runs after that ADD, as a list of its own, only when the read
// says so. The plugin only reads its prevResult (the container's
// addresses); the list carries one made from the attachment, so that its
// ADD and DEL get the same input generated from the record, as the
// network's list does. Attachments recorded before have the plugin in the
// network's list instead (Attachment.Firewall).

// firewallConfList is the list that runs the firewall plugin for a.
func firewallConfList(n *Network, a Attachment, netns string) ([]byte, error) {
	zero := 0
	prev := map[string]any{
		"cniVersion": cniVersion,
		"interfaces": []any{map[string]any{"name": a.IfName, "mac": a.MAC, "sandbox": netns}},
		"ips": []any{map[string]any{
			"address": fmt.Sprintf("%s/%d", a.IPAddress, a.PrefixLen), "gateway": a.Gateway, "interface": &zero,
		}},
	}
	return json.Marshal(map[string]any{
		"cniVersion": cniVersion,
		"name":       "cais-" + n.ID[:12] + "-fw",
		"plugins":    []any{map[string]any{"type": "firewall", "prevResult": prev}},
	})
}

// firewall runs ADD (add true) or DEL of a's firewall list.
func (s *Store) firewall(ctx context.Context, cfg *libcni.CNIConfig, n *Network, containerID, netns string, a Attachment, add bool) error {
	b, err := firewallConfList(n, a, netns)
	if err != nil {
		return err
	}
	list, err := libcni.ConfListFromBytes(b)
	if err != nil {
		return fmt.Errorf("network %s: %w", n.Name, err)
	}
	rt := s.runtimeConf(containerID, netns, a.IfName, a)
	if !add {
		if err := cfg.DelNetworkList(ctx, list, rt); err != nil {
			return fmt.Errorf("detaching from network %s (firewall): %w", n.Name, err)
		}
		return nil
	}
	if _, err := cfg.AddNetworkList(ctx, list, rt); err != nil {
		cfg.DelNetworkList(context.WithoutCancel(ctx), list, rt)
		return fmt.Errorf("attaching to network %s (firewall): %w", n.Name, err)
	}
	return nil
}
