package engine

import (
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// shareEtcFiles makes a container created with --network container:ID use
// that container's /etc/hosts, /etc/resolv.conf and /etc/hostname (bound
// from its run directory, so later rewrites reach both) and its host
// name, as Docker does: they describe the network both are on.
func (e *Engine) shareEtcFiles(target string, spec *specs.Spec) {
	if target == "" {
		return
	}
	dir := e.runDir(target)
	for i := range spec.Mounts {
		m := &spec.Mounts[i]
		switch m.Destination {
		case "/etc/hosts", "/etc/resolv.conf", "/etc/hostname":
			p := filepath.Join(dir, filepath.Base(m.Destination))
			if _, err := os.Stat(p); err == nil {
				m.Source = p
			}
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "hostname")); err == nil {
		if h := strings.TrimSpace(string(b)); h != "" {
			spec.Hostname = h
		}
	}
}
