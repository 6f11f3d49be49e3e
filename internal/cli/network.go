package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/engine"
	"github.com/cais-project/cais/internal/engine/network"
)

func networkCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "network", Short: "Manage networks"}
	c.AddCommand(networkCreateCmd(g), networkLsCmd(g), networkInspectCmd(g), networkRmCmd(g),
		networkPruneCmd(g), networkConnectCmd(g), networkDisconnectCmd(g))
	return c
}

func networkCreateCmd(g *globals) *cobra.Command {
	var o network.CreateOptions
	var labels []string
	c := &cobra.Command{
		Use:   "create [OPTIONS] NETWORK",
		Short: "Create a network",
		Args:  exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine(c.Context())
			if err != nil {
				return err
			}
			o.Name = args[0]
			o.Labels = map[string]string{}
			for _, l := range labels {
				k, v, _ := strings.Cut(l, "=")
				o.Labels[k] = v
			}
			n, err := e.CreateNetwork(c.Context(), o)
			if err != nil {
				fmt.Fprintf(g.stderr, "cais: %v\n", err)
				return exitError{exitUsage}
			}
			fmt.Fprintln(g.stdout, n.ID)
			return nil
		},
	}
	f := c.Flags()
	f.StringVarP(&o.Driver, "driver", "d", "bridge", "driver of the network (only bridge)")
	f.StringVar(&o.Subnet, "subnet", "", "subnet in CIDR form (default: a free one)")
	f.StringVar(&o.Gateway, "gateway", "", "gateway of the subnet (default: its first address)")
	f.StringVar(&o.IPRange, "ip-range", "", "allocate container addresses from this sub-range")
	f.BoolVar(&o.Internal, "internal", false, "restrict external access to the network")
	stringListVar(f, &labels, "label", "set metadata on the network (repeatable)")
	return c
}

func networkLsCmd(g *globals) *cobra.Command {
	var quiet, noTrunc bool
	var format string
	var filters []string
	c := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"list"},
		Short:   "List networks",
		Args:    exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine(c.Context())
			if err != nil {
				return err
			}
			nets, err := e.ListNetworks(c.Context())
			if err != nil {
				return err
			}
			var rows []row
			for _, n := range nets {
				ok, err := networkMatches(n, filters)
				if err != nil {
					return usageError{err}
				}
				if !ok {
					continue
				}
				if quiet {
					fmt.Fprintln(g.stdout, shortID(n.ID, noTrunc))
					continue
				}
				var ls []string
				for k, v := range n.Labels {
					ls = append(ls, k+"="+v)
				}
				rows = append(rows, row{"ID": shortID(n.ID, noTrunc), "Name": n.Name, "Driver": n.Driver, "Scope": n.Scope,
					"IPv6": "false", "Internal": fmt.Sprint(n.Internal), "Labels": strings.Join(ls, ","), "CreatedAt": n.Created})
			}
			if quiet {
				return nil
			}
			return listing{format: format, columns: []string{"ID", "Name", "Driver", "Scope"},
				headers: map[string]string{"ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER", "Scope": "SCOPE",
					"IPv6": "IPV6", "Internal": "INTERNAL", "Labels": "LABELS", "CreatedAt": "CREATED AT"}}.print(g.stdout, rows)
		},
	}
	f := c.Flags()
	f.BoolVarP(&quiet, "quiet", "q", false, "only display network IDs")
	f.BoolVar(&noTrunc, "no-trunc", false, "do not truncate the output")
	f.StringVar(&format, "format", "", "format output: table, json, or a Go template")
	stringListVarP(f, &filters, "filter", "f", "filter output: name=, id=, driver=, label=KEY[=VALUE], type=custom|builtin")
	return c
}

// networkMatches applies Docker's network ls filters: different keys must
// all match, values of one key any.
func networkMatches(n engine.NetworkInspect, filters []string) (bool, error) {
	byKey := map[string][]string{}
	for _, f := range filters {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return false, fmt.Errorf("bad format of filter (expected name=value): %s", f)
		}
		byKey[k] = append(byKey[k], v)
	}
	for k, vs := range byKey {
		any := false
		for _, v := range vs {
			switch k {
			case "name":
				any = any || strings.Contains(n.Name, v)
			case "id":
				any = any || strings.HasPrefix(n.ID, v)
			case "driver":
				any = any || n.Driver == v
			case "label":
				lk, lv, hasV := strings.Cut(v, "=")
				have, ok := n.Labels[lk]
				any = any || ok && (!hasV || have == lv)
			case "type":
				builtin := n.Name == network.DefaultName || n.Name == "host" || n.Name == "none"
				any = any || v == "builtin" && builtin || v == "custom" && !builtin
			default:
				return false, fmt.Errorf("invalid filter '%s'", k)
			}
		}
		if !any {
			return false, nil
		}
	}
	return true, nil
}

func networkInspectCmd(g *globals) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "inspect [OPTIONS] NETWORK [NETWORK...]",
		Short: "Display detailed information on one or more networks",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine(c.Context())
			if err != nil {
				return err
			}
			return inspectEach(g, args, format, false, func(a string) (engine.NetworkInspect, error) {
				return e.InspectNetwork(c.Context(), a)
			})
		},
	}
	c.Flags().StringVarP(&format, "format", "f", "", "format output using a Go template")
	return c
}

func networkRmCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "rm NETWORK [NETWORK...]",
		Aliases: []string{"remove"},
		Short:   "Remove one or more networks",
		Args:    minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine(c.Context())
			if err != nil {
				return err
			}
			return eachArg(g, args, func(a string) error { return e.RemoveNetwork(c.Context(), a) },
				func(_ string, err error) string { return "error response: " + err.Error() })
		},
	}
}

func networkPruneCmd(g *globals) *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove all unused networks",
		Args:  exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			if !force {
				fmt.Fprintln(g.stdout, "WARNING! This will remove all custom networks not used by at least one container.")
				fmt.Fprint(g.stdout, "Are you sure you want to continue? [y/N] ")
				var ans string
				fmt.Fscanln(g.stdin, &ans)
				if a := strings.ToLower(strings.TrimSpace(ans)); a != "y" && a != "yes" {
					return nil
				}
			}
			e, err := g.engine(c.Context())
			if err != nil {
				return err
			}
			names, err := e.PruneNetworks(c.Context())
			if len(names) > 0 {
				fmt.Fprintln(g.stdout, "Deleted Networks:")
				for _, n := range names {
					fmt.Fprintln(g.stdout, n)
				}
			}
			return err
		},
	}
	c.Flags().BoolVarP(&force, "force", "f", false, "do not prompt for confirmation")
	return c
}

func networkConnectCmd(g *globals) *cobra.Command {
	var aliases []string
	var ip string
	c := &cobra.Command{
		Use:   "connect [OPTIONS] NETWORK CONTAINER",
		Short: "Connect a container to a network",
		Args:  exactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine(c.Context())
			if err != nil {
				return err
			}
			return e.ConnectNetwork(c.Context(), args[0], args[1], aliases, ip)
		},
	}
	stringListVar(c.Flags(), &aliases, "alias", "network-scoped alias for the container (repeatable)")
	c.Flags().StringVar(&ip, "ip", "", "IPv4 address")
	return c
}

func networkDisconnectCmd(g *globals) *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use:   "disconnect [OPTIONS] NETWORK CONTAINER",
		Short: "Disconnect a container from a network",
		Args:  exactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine(c.Context())
			if err != nil {
				return err
			}
			return e.DisconnectNetwork(c.Context(), args[0], args[1], force)
		},
	}
	c.Flags().BoolVarP(&force, "force", "f", false, "force the container to disconnect from a network")
	return c
}
