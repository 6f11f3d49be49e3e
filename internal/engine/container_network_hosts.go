package engine

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"

	"github.com/cais-project/cais/internal/engine/etcfiles"
	"github.com/cais-project/cais/internal/engine/network"
)

// Names on user-defined networks come from the containers' hosts files,
// rewritten in place whenever a member joins or leaves.

func (e *Engine) hostsLock() (func(), error) {
	dir := filepath.Join(e.opts.RunRoot, "netns")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return fileLock(filepath.Join(dir, ".hosts.lock"), true)
}

// refreshPeers rewrites the hosts files of c and of every container that
// shares (or shared, in was) a user-defined network with it.
func (e *Engine) refreshPeers(c *Container, was []network.Attachment) {
	unlock, err := e.hostsLock()
	if err != nil {
		return
	}
	defer unlock()
	ids := map[string]bool{}
	for _, a := range append(slices.Clone(was), c.Net.Attachments...) {
		if a.Network != network.DefaultName {
			ids[a.NetworkID] = true
		}
	}
	var all []*Container
	if len(ids) > 0 { // else no peers: every record need not be read
		if all, err = e.listContainers(); err != nil {
			return
		}
	}
	if len(c.Net.Attachments) > 0 {
		e.writeHosts(c, all, c)
	}
	for _, o := range all {
		if o.ID == c.ID {
			continue
		}
		for _, a := range o.Net.Attachments {
			if ids[a.NetworkID] {
				e.writeHosts(o, all, c)
				break
			}
		}
	}
}

// writeHosts rewrites o's /etc files (through WriteEtcFiles, in place)
// from every container record, with fresh standing in for its own,
// possibly stale, record: its addresses, and its peers on the
// user-defined networks it shares with them by name, aliases and short ID.
func (e *Engine) writeHosts(o *Container, all []*Container, fresh *Container) {
	n := EtcNetwork{Mode: o.Net.Mode}
	mine := map[string]bool{}
	for _, a := range o.Net.Attachments {
		if ip, err := netip.ParseAddr(a.IPAddress); err == nil {
			n.Addresses = append(n.Addresses, ip)
		}
		if gw, err := netip.ParseAddr(a.Gateway); err == nil && !n.Gateway.IsValid() {
			n.Gateway = gw
		}
		if a.Network != network.DefaultName {
			mine[a.NetworkID] = true
		}
	}
	for _, x := range all {
		if x.ID == fresh.ID {
			x = fresh
		}
		if x.ID == o.ID {
			continue
		}
		for _, a := range x.Net.Attachments {
			ip, err := netip.ParseAddr(a.IPAddress)
			if err != nil || !mine[a.NetworkID] {
				continue
			}
			names := append(append([]string{x.Name}, a.Aliases...), x.ID[:12])
			n.Peers = append(n.Peers, etcfiles.Peer{IP: ip, Names: names})
		}
	}
	WriteEtcFiles(e.runDir(o.ID), o.Net.Hostname, o.DNS, n)
}
