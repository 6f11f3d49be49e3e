package cli

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/engine"
)

func dfCmd(g *globals) *cobra.Command {
	var format string
	var verbose bool
	c := &cobra.Command{
		Use:   "df [OPTIONS]",
		Short: "Show cais disk usage",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if verbose && format != "" && format != "table" {
				return usageError{errors.New("--format is not supported with --verbose")}
			}
			e, err := g.engine(c.Context())
			if err != nil {
				return err
			}
			du, err := e.DiskUsage(c.Context())
			if err != nil {
				return err
			}
			dd, err := e.DiskUsageDetails(c.Context())
			if err != nil {
				return err
			}
			if verbose {
				return printDiskUsageDetails(g, dd)
			}
			rows := []row{
				dfRow("Images", du.Images, du.ActiveImages, du.ImagesSize, du.ImagesReclaimable),
				containersDfRow(dd.Containers),
				volumesDfRow(dd.Volumes),
				{"Type": "Build Cache", "TotalCount": "0", "Active": "0", "Size": "0B", "Reclaimable": "0B"},
			}
			return listing{
				format:  format,
				columns: []string{"Type", "TotalCount", "Active", "Size", "Reclaimable"},
				headers: map[string]string{"Type": "TYPE", "TotalCount": "TOTAL", "Active": "ACTIVE", "Size": "SIZE", "Reclaimable": "RECLAIMABLE"},
			}.print(g.stdout, rows)
		},
	}
	c.Flags().StringVar(&format, "format", "", "format output: table, json, table TEMPLATE or a Go template")
	c.Flags().BoolVarP(&verbose, "verbose", "v", false, "show detailed information on space usage")
	return c
}

// dfRow is one line of the summary; reclaimable carries Docker's share
// in percent when there is any size.
func dfRow(typ string, total, active int, size, reclaimable int64) row {
	rec := humanSize(reclaimable)
	if size > 0 {
		rec += fmt.Sprintf(" (%d%%)", reclaimable*100/size)
	}
	return row{"Type": typ, "TotalCount": strconv.Itoa(total), "Active": strconv.Itoa(active), "Size": humanSize(size), "Reclaimable": rec}
}

// containersDfRow: active ones run (or are paused or restarting); the
// writable layers of the others are reclaimable.
func containersDfRow(cs []engine.ContainerDiskUsage) row {
	active := 0
	var size, reclaimable int64
	for _, c := range cs {
		size += c.SizeRw
		if c.Active() {
			active++
		} else {
			reclaimable += c.SizeRw
		}
	}
	return dfRow("Containers", len(cs), active, size, reclaimable)
}

// volumesDfRow: a volume any container (running or not) mounts is
// active; the others' data is reclaimable.
func volumesDfRow(vs []engine.VolumeDiskUsage) row {
	active := 0
	var size, reclaimable int64
	for _, v := range vs {
		size += v.Size
		if v.Links > 0 {
			active++
		} else {
			reclaimable += v.Size
		}
	}
	return dfRow("Local Volumes", len(vs), active, size, reclaimable)
}
