package network

import (
	"os/exec"
	"strings"
	"sync"

	"github.com/cais-project/cais/internal/procwait"
)

// forwardFilters reports whether the host's iptables FORWARD chain may
// drop container traffic: a policy other than ACCEPT, or a rule jumping
// to DROP or REJECT (Docker, ufw and firewalld set such). Only then does
// a container need the firewall plugin's ACCEPT rules, which cost about
// fourteen iptables runs per container; when the chain cannot be read,
// the plugin is used.
//
// The chain is read once per process (a command attaches a container or
// two), started by ReadHostFirewall as soon as the engine knows the
// container joins a network (or when attach begins), and waited for only
// after the network's ADD (firewall.go): the iptables process then runs
// while the engine records the container, not alongside the plugins.
var forwardFilters = sync.OnceValue(readForwardFilters)

// ReadHostFirewall starts reading the host's FORWARD chain, which the
// coming Attach needs, and returns at once.
func ReadHostFirewall() { go forwardFilters() }

func readForwardFilters() bool {
	out, err := procwait.Output(exec.Command("iptables", "-w", "-S", "FORWARD"))
	if err != nil {
		return true
	}
	return chainFilters(string(out))
}

func chainFilters(rules string) bool {
	for _, l := range strings.Split(rules, "\n") {
		f := strings.Fields(l)
		switch {
		case len(f) == 3 && f[0] == "-P":
			if f[2] != "ACCEPT" {
				return true
			}
		case len(f) > 0 && f[0] == "-A":
			for i := 0; i+1 < len(f); i++ {
				if f[i] == "-j" && (f[i+1] == "DROP" || f[i+1] == "REJECT") {
					return true
				}
			}
		}
	}
	return false
}
