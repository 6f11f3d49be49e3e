package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/docker/go-units"
	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/engine"
)

func psCmd(g *globals) *cobra.Command {
	var all, quiet bool
	var format string
	c := &cobra.Command{
		Use:   "ps [OPTIONS]",
		Short: "List containers",
		Args:  exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine(c.Context())
			if err != nil {
				return err
			}
			list, err := e.ListContainers(c.Context(), all)
			if err != nil {
				return err
			}
			if quiet {
				for _, s := range list {
					fmt.Fprintln(g.stdout, s.ID[:12])
				}
				return nil
			}
			rows := make([]row, 0, len(list))
			for i := len(list) - 1; i >= 0; i-- { // newest first, as Docker
				s := list[i]
				rows = append(rows, row{
					"ID": s.ID[:12], "Image": s.Image, "Command": quoteCommand(s.Command),
					"CreatedAt":  s.Created.Local().Format("2006-01-02 15:04:05 -0700 MST"),
					"RunningFor": since(s.Created), "Status": containerStatus(s.ContainerState),
					"State": s.State, "Ports": psPorts(s.Net), "Names": s.Name,
				})
			}
			l := listing{format: format,
				columns: []string{"ID", "Image", "Command", "RunningFor", "Status", "Ports", "Names"},
				headers: map[string]string{"ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND",
					"CreatedAt": "CREATED AT", "RunningFor": "CREATED", "Status": "STATUS", "State": "STATE",
					"Ports": "PORTS", "Names": "NAMES"}}
			return l.print(g.stdout, rows)
		},
	}
	f := c.Flags()
	f.BoolVarP(&all, "all", "a", false, "show all containers (default shows just running)")
	f.BoolVarP(&quiet, "quiet", "q", false, "only display container IDs")
	f.StringVar(&format, "format", "", `"table", "json", or a Go template`)
	return c
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
		return "Up " + units.HumanDuration(time.Since(st.StartedAt))
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
