package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/engine"
)

// volumeCmd is `cais volume`: create, ls, inspect, rm, prune.
func volumeCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "volume", Short: "Manage volumes"}
	c.AddCommand(volumeCreateCmd(g), volumeLsCmd(g), volumeInspectCmd(g), volumeRmCmd(g), volumePruneCmd(g))
	return c
}

// keyValueMap reads repeated KEY=VALUE flags (a bare KEY has an empty value).
func keyValueMap(flag string, kvs []string) (map[string]string, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, kv := range kvs {
		k, v, _ := strings.Cut(kv, "=")
		if k == "" {
			return nil, usageError{fmt.Errorf("invalid argument %q for \"--%s\" flag: want KEY=VALUE", kv, flag)}
		}
		out[k] = v
	}
	return out, nil
}

func volumeCreateCmd(g *globals) *cobra.Command {
	var labels, opts []string
	var o engine.VolumeCreateOptions
	c := &cobra.Command{
		Use:   "create [OPTIONS] [VOLUME]",
		Short: "Create a volume",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var err error
			if len(args) == 1 {
				if o.Name != "" && o.Name != args[0] {
					return usageError{fmt.Errorf("conflicting options: either specify --name or provide positional arg, not both")}
				}
				o.Name = args[0]
			}
			if o.Labels, err = keyValueMap("label", labels); err != nil {
				return err
			}
			if o.Options, err = keyValueMap("opt", opts); err != nil {
				return err
			}
			e, err := g.engine(c.Context())
			if err != nil {
				return err
			}
			v, err := e.CreateVolume(c.Context(), o)
			if err != nil {
				return err
			}
			fmt.Fprintln(g.stdout, v.Name)
			return nil
		},
	}
	f := c.Flags()
	f.StringVarP(&o.Driver, "driver", "d", "local", "volume driver name")
	f.StringVar(&o.Name, "name", "", "volume name")
	stringListVar(f, &labels, "label", "set metadata for a volume (KEY=VALUE, repeatable)")
	stringListVarP(f, &opts, "opt", "o", "set driver specific options: type, device, o (repeatable)")
	return c
}

func volumeHeaders() map[string]string {
	return map[string]string{
		"Name": "VOLUME NAME", "Driver": "DRIVER", "Scope": "SCOPE", "Mountpoint": "MOUNTPOINT",
		"Labels": "LABELS", "Links": "LINKS", "Size": "SIZE",
	}
}

func volumeRow(v engine.VolumeInspect) row {
	var labels []string
	for k, val := range v.Labels {
		labels = append(labels, k+"="+val)
	}
	sort.Strings(labels)
	return row{
		"Name": v.Name, "Driver": v.Driver, "Scope": v.Scope, "Mountpoint": v.Mountpoint,
		"Labels": strings.Join(labels, ","), "Links": "N/A", "Size": "N/A",
		"Availability": "N/A", "Group": "N/A", "Status": "N/A",
	}
}

func volumeLsCmd(g *globals) *cobra.Command {
	var quiet bool
	var format string
	var filters []string
	c := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"list"},
		Short:   "List volumes",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine(c.Context())
			if err != nil {
				return err
			}
			vs, err := e.ListVolumes(c.Context(), filters)
			if err != nil {
				return err
			}
			if quiet {
				format = "{{.Name}}"
			}
			rows := make([]row, 0, len(vs))
			for _, v := range vs {
				rows = append(rows, volumeRow(v))
			}
			return listing{format: format, columns: []string{"Driver", "Name"}, headers: volumeHeaders()}.print(g.stdout, rows)
		},
	}
	f := c.Flags()
	f.BoolVarP(&quiet, "quiet", "q", false, "only display volume names")
	f.StringVar(&format, "format", "", "format output: table, json, table TEMPLATE or a Go template")
	stringListVarP(f, &filters, "filter", "f", "filter output: dangling=true|false, name=, label=KEY[=VALUE], driver=")
	return c
}

func volumeInspectCmd(g *globals) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "inspect [OPTIONS] VOLUME [VOLUME...]",
		Short: "Display detailed information on one or more volumes",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine(c.Context())
			if err != nil {
				return err
			}
			return inspectEach(g, args, format, false, func(a string) (engine.VolumeInspect, error) {
				return e.InspectVolume(c.Context(), a)
			})
		},
	}
	c.Flags().StringVarP(&format, "format", "f", "", "format output using a Go template")
	return c
}

func volumeRmCmd(g *globals) *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use:     "rm [OPTIONS] VOLUME [VOLUME...]",
		Aliases: []string{"remove"},
		Short:   "Remove one or more volumes",
		Args:    minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine(c.Context())
			if err != nil {
				return err
			}
			return eachArg(g, args, func(a string) error { return e.RemoveVolume(c.Context(), a, force) },
				func(_ string, err error) string { return err.Error() })
		},
	}
	c.Flags().BoolVarP(&force, "force", "f", false, "do not fail for volumes that do not exist")
	return c
}

func volumePruneCmd(g *globals) *cobra.Command {
	var all, force bool
	var filters []string
	c := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove unused local volumes",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			warning := "WARNING! This will remove anonymous local volumes not used by at least one container."
			if all {
				warning = "WARNING! This will remove all local volumes not used by at least one container."
			}
			if !force && !confirm(g, warning) {
				return nil
			}
			e, err := g.engine(c.Context())
			if err != nil {
				return err
			}
			res, err := e.PruneVolumes(c.Context(), all, filters)
			if len(res.Deleted) > 0 {
				fmt.Fprintln(g.stdout, "Deleted Volumes:")
				for _, n := range res.Deleted {
					fmt.Fprintln(g.stdout, n)
				}
				fmt.Fprintln(g.stdout)
			}
			fmt.Fprintf(g.stdout, "Total reclaimed space: %s\n", humanSize(res.SpaceReclaimed))
			return err
		},
	}
	f := c.Flags()
	f.BoolVarP(&all, "all", "a", false, "remove all unused volumes, not just anonymous ones")
	f.BoolVarP(&force, "force", "f", false, "do not prompt for confirmation")
	stringListVar(f, &filters, "filter", "provide filter values (label=KEY[=VALUE], label!=KEY[=VALUE])")
	return c
}
