package cli

import (
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/cais-project/cais/internal/engine"
)

// registerNetworkFlags adds create's and run's network flags.
func registerNetworkFlags(f *pflag.FlagSet, o *engine.NetworkOptions) {
	stringListVar(f, &o.Networks, "network", `connect to a network: "bridge" (default), a network's name, "none", "host" or "container:ID" (repeatable)`)
	stringListVar(f, &o.Aliases, "network-alias", "network-scoped alias of the container (repeatable)")
	f.StringVar(&o.IP, "ip", "", "IPv4 address on the first network (e.g. 172.30.100.104)")
	f.StringVar(&o.MAC, "mac-address", "", "MAC address of the first network's interface (e.g. 92:d0:c6:0a:29:33)")
	stringListVarP(f, &o.Publish, "publish", "p", "publish a container's port to the host: [ip:][hostPort:]containerPort[/tcp|udp], ranges allowed (repeatable)")
	f.BoolVarP(&o.PublishAll, "publish-all", "P", false, "publish the image's exposed ports to random host ports")
}

// splitPath splits a colon-separated directory list; empty gives nil.
func splitPath(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ":") {
		if p != "" {
			out = append(out, filepath.Clean(p))
		}
	}
	return out
}
