package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strconv"
	"strings"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/runtime/container"
)

func psCmd(g *globals) *command {
	var format string
	cmd := newCommand("ps [--format table|json] CONTAINER_ID [ps options]", "list the processes of a container (host pids)", minArgs(1),
		func(cl *call) error {
			args := cl.args
			c, err := container.Load(g.root, args[0])
			if err != nil {
				return err
			}
			pids, err := c.Processes()
			if err != nil {
				return err
			}
			out := cl.stdout
			switch format {
			case "json":
				return json.NewEncoder(out).Encode(pids)
			case "table":
				psArgs := args[1:]
				if len(psArgs) > 0 && psArgs[0] == "--" {
					psArgs = psArgs[1:]
				}
				if len(psArgs) == 0 {
					psArgs = []string{"-ef"}
				}
				psOut, err := exec.Command("ps", psArgs...).Output()
				if err != nil {
					return fmt.Errorf("running ps %s: %w: %s", strings.Join(psArgs, " "), err, psOut)
				}
				return filterPS(out, psOut, pids)
			}
			return fmt.Errorf("--format %q: must be table or json: %w", format, errdefs.ErrInvalidArgument)
		})
	cmd.long = "ps lists the processes in the container's cgroup. --format json prints a JSON array\n" +
		"of host pids; table runs the host's ps (with the options after the id, default -ef)\n" +
		"and keeps the header and the container's lines."
	// Like runc (urfave/cli): flags end at the container id, so ps's own
	// options can follow it without "--".
	cmd.flags.interspersed = false
	cmd.flags.stringVar(&format, "format", "f", "table", "table or json")
	return cmd
}

// filterPS writes the header of ps's output and the lines whose PID column
// holds one of pids.
func filterPS(w io.Writer, psOut []byte, pids []int) error {
	lines := strings.Split(strings.TrimRight(string(psOut), "\n"), "\n")
	col := slices.Index(strings.Fields(lines[0]), "PID")
	if col < 0 {
		return fmt.Errorf("ps output has no PID column (header %q): %w", lines[0], errdefs.ErrInvalidArgument)
	}
	var b strings.Builder
	b.WriteString(lines[0] + "\n")
	for _, line := range lines[1:] {
		f := strings.Fields(line)
		if len(f) <= col {
			continue
		}
		pid, err := strconv.Atoi(f[col])
		if err != nil {
			return fmt.Errorf("ps output: PID column %q is not a number: %w", f[col], errdefs.ErrInvalidArgument)
		}
		if slices.Contains(pids, pid) {
			b.WriteString(line + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
