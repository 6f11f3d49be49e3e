package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// builtinNetworks are Docker's "host" and "none", which need no record:
// they are modes, shown by network ls and inspect as Docker shows them,
// with IDs stable for a root.
func (e *Engine) builtinNetworks(ctrs []*Container) []NetworkInspect {
	var out []NetworkInspect
	for _, b := range []struct{ name, driver string }{{"host", "host"}, {"none", "null"}} {
		sum := sha256.Sum256([]byte(e.opts.Root + "\x00" + b.name))
		d := NetworkInspect{
			Name: b.name, ID: hex.EncodeToString(sum[:]), Created: time.Time{}.Format(time.RFC3339Nano),
			Scope: "local", Driver: b.driver,
			IPAM:       NetworkIPAM{Driver: "default", Options: map[string]string{}, Config: []map[string]string{}},
			Containers: map[string]NetworkContainer{}, Options: map[string]string{}, Labels: map[string]string{},
		}
		for _, c := range ctrs {
			if c.Net.Mode == b.name {
				d.Containers[c.ID] = NetworkContainer{Name: c.Name, EndpointID: c.ID}
			}
		}
		out = append(out, d)
	}
	return out
}

func (e *Engine) builtinNetwork(ref string, ctrs []*Container) (NetworkInspect, bool) {
	for _, d := range e.builtinNetworks(ctrs) {
		if d.Name == ref || d.ID == ref {
			return d, true
		}
	}
	return NetworkInspect{}, false
}
