package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/engine"
)

func portCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "port CONTAINER [PRIVATE_PORT[/PROTO]]",
		Short: "List port mappings or a specific mapping for the container",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine(c.Context())
			if err != nil {
				return err
			}
			ctr, err := e.FindContainer(c.Context(), args[0])
			if err != nil {
				return err
			}
			want, proto := 0, "tcp"
			if len(args) == 2 {
				p, pr, ok := strings.Cut(args[1], "/")
				if ok {
					proto = pr
				}
				if want, err = strconv.Atoi(p); err != nil || want < 1 || want > 65535 {
					return usageError{fmt.Errorf("invalid port %q", args[1])}
				}
			}
			found := false
			for _, m := range e.ContainerPorts(ctr) {
				ip := m.HostIP
				if ip == "" {
					ip = "0.0.0.0"
				}
				host := fmt.Sprintf("%s:%d", ip, m.HostPort)
				if want == 0 {
					fmt.Fprintf(g.stdout, "%s -> %s\n", m.Key(), host)
					continue
				}
				if m.ContainerPort == want && m.Protocol == proto {
					fmt.Fprintln(g.stdout, host)
					found = true
				}
			}
			if want != 0 && !found {
				return fmt.Errorf("no public port '%d/%s' published for %s", want, proto, args[0])
			}
			return nil
		},
	}
}

// psPorts is ps's PORTS column: "127.0.0.1:8080->80/tcp, ..." as Docker.
func psPorts(n engine.ContainerNet) string {
	var out []string
	for _, a := range n.Attachments {
		for _, m := range a.Ports {
			ip := m.HostIP
			if ip == "" {
				ip = "0.0.0.0"
			}
			out = append(out, fmt.Sprintf("%s:%d->%s", ip, m.HostPort, m.Key()))
		}
	}
	return strings.Join(out, ", ")
}
