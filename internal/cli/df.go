package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func dfCmd(g *globals) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "df [OPTIONS]",
		Short: "Show cais disk usage",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine(c.Context())
			if err != nil {
				return err
			}
			du, err := e.DiskUsage(c.Context())
			if err != nil {
				return err
			}
			reclaim := humanSize(du.ImagesReclaimable)
			if du.ImagesSize > 0 {
				reclaim += fmt.Sprintf(" (%d%%)", du.ImagesReclaimable*100/du.ImagesSize)
			}
			rows := []row{
				{"Type": "Images", "TotalCount": fmt.Sprint(du.Images), "Active": fmt.Sprint(du.ActiveImages), "Size": humanSize(du.ImagesSize), "Reclaimable": reclaim},
				{"Type": "Containers", "TotalCount": "0", "Active": "0", "Size": "0B", "Reclaimable": "0B"},
				{"Type": "Local Volumes", "TotalCount": "0", "Active": "0", "Size": "0B", "Reclaimable": "0B"},
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
	return c
}
