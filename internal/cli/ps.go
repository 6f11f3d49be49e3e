package cli

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/docker/go-units"
	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/engine"
)

func psCmd(g *globals) *cobra.Command {
	var all, quiet, latest, noTrunc, size bool
	var last int
	var format string
	var filters []string
	c := &cobra.Command{
		Use:   "ps [OPTIONS]",
		Short: "List containers",
		Args:  exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			fs, err := parseFilters(filters)
			if err != nil {
				return err
			}
			e, err := g.engine(c.Context())
			if err != nil {
				return err
			}
			o := engine.ListOptions{All: all, Last: last, Filters: fs,
				Size: (size || strings.Contains(format, ".Size")) && !quiet}
			if latest {
				o.Last = 1
			}
			list, err := e.List(c.Context(), o)
			if err != nil {
				return err
			}
			if quiet {
				for _, s := range list {
					fmt.Fprintln(g.stdout, shortID(s.ID, noTrunc))
				}
				return nil
			}
			rows := make([]row, 0, len(list))
			for _, s := range list {
				rows = append(rows, psRow(s, noTrunc))
			}
			l := listing{format: format,
				columns: []string{"ID", "Image", "Command", "RunningFor", "Status", "Ports", "Names"},
				headers: map[string]string{"ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND",
					"CreatedAt": "CREATED AT", "RunningFor": "CREATED", "Status": "STATUS", "State": "STATE",
					"Ports": "PORTS", "Names": "NAMES", "Size": "SIZE", "Labels": "LABELS", "Mounts": "MOUNTS",
					"Networks": "NETWORKS", "LocalVolumes": "LOCAL VOLUMES"}}
			if size {
				l.columns = append(l.columns, "Size")
			}
			return l.print(g.stdout, rows)
		},
	}
	f := c.Flags()
	f.BoolVarP(&all, "all", "a", false, "show all containers (default shows just running)")
	f.BoolVarP(&quiet, "quiet", "q", false, "only display container IDs")
	f.StringVar(&format, "format", "", `"table", "json", or a Go template`)
	f.IntVarP(&last, "last", "n", -1, "show n last created containers (includes all states)")
	f.BoolVarP(&latest, "latest", "l", false, "show the latest created container (includes all states)")
	f.BoolVar(&noTrunc, "no-trunc", false, "don't truncate output")
	f.BoolVarP(&size, "size", "s", false, "display total file sizes")
	stringListVarP(f, &filters, "filter", "f", "filter output based on conditions provided")
	return c
}

// parseFilters reads --filter key=value flags; one without "=" is a usage
// error, as in Docker.
func parseFilters(fs []string) (map[string][]string, error) {
	out := map[string][]string{}
	for _, f := range fs {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return nil, usageError{fmt.Errorf("invalid argument %q for \"-f, --filter\" flag: bad format of filter (expected name=value)", f)}
		}
		k = strings.ToLower(strings.TrimSpace(k))
		out[k] = append(out[k], strings.TrimSpace(v))
	}
	return out, nil
}

// psRow is one container in Docker's ps template fields.
func psRow(s engine.ContainerListing, noTrunc bool) row {
	cmd := strings.Join(s.Command, " ")
	if noTrunc {
		cmd = strconv.Quote(cmd)
	} else {
		cmd = quoteCommand(s.Command)
	}
	labels := make([]string, 0, len(s.Labels))
	for k, v := range s.Labels {
		labels = append(labels, k+"="+v)
	}
	sort.Strings(labels)
	size := humanSize(s.SizeRw)
	if s.SizeRootFs > 0 {
		size += " (virtual " + humanSize(s.SizeRootFs) + ")"
	}
	return row{
		"ID": shortID(s.ID, noTrunc), "Image": s.Image, "Command": cmd,
		"CreatedAt":  s.Created.Local().Format("2006-01-02 15:04:05 -0700 MST"),
		"RunningFor": since(s.Created), "Status": containerStatus(s.ContainerState),
		"State": s.State, "Ports": psPorts(s.Net), "Names": s.Name, "Size": size,
		"Labels": strings.Join(labels, ","), "Mounts": "", "Networks": "", "LocalVolumes": "0",
	}
}

// quoteCommand is Docker's COMMAND column: quoted, cut at 20 characters.
func quoteCommand(args []string) string {
	s := strings.Join(args, " ")
	if len(s) > 19 {
		s = s[:19] + "…"
	}
	return `"` + s + `"`
}

// containerStatus is Docker's STATUS column.
func containerStatus(st engine.ContainerState) string {
	switch st.State {
	case "running":
		return "Up " + units.HumanDuration(time.Since(st.StartedAt)) + healthSuffix(st.Health)
	case engine.StatePaused:
		return "Up " + units.HumanDuration(time.Since(st.StartedAt)) + " (Paused)"
	case "restarting":
		return fmt.Sprintf("Restarting (%d) %s ago", st.ExitCode, units.HumanDuration(time.Since(st.FinishedAt)))
	case "exited":
		if st.FinishedAt.IsZero() {
			return fmt.Sprintf("Exited (%d)", st.ExitCode)
		}
		return fmt.Sprintf("Exited (%d) %s ago", st.ExitCode, units.HumanDuration(time.Since(st.FinishedAt)))
	}
	return "Created"
}
