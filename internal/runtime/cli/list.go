package cli

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/cais-project/cais/internal/runtime/container"
)

func listCmd(g *globals) *command {
	var format string
	var quiet bool
	cmd := newCommand("list [--format table|json] [-q]", "list containers", noArgs,
		func(cl *call) error {
			cs, err := container.List(g.root)
			if err != nil {
				return err
			}
			out := cl.stdout
			if quiet {
				for _, c := range cs {
					fmt.Fprintln(out, c.ID())
				}
				return nil
			}
			switch format {
			case "json":
				states := make([]container.OCIState, 0, len(cs))
				for _, c := range cs {
					states = append(states, c.OCIState())
				}
				return json.NewEncoder(out).Encode(states)
			case "table":
				w := tabwriter.NewWriter(out, 12, 1, 3, ' ', 0)
				fmt.Fprint(w, "ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER\n")
				for _, c := range cs {
					s := c.OCIState()
					fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", s.ID, s.Pid, s.Status, s.Bundle, s.Created.Format(time.RFC3339Nano), s.Owner)
				}
				return w.Flush()
			}
			return fmt.Errorf("--format %q: must be table or json", format)
		})
	cmd.flags.stringVar(&format, "format", "f", "table", "table or json")
	cmd.flags.boolVar(&quiet, "quiet", "q", "print only container IDs")
	return cmd
}
