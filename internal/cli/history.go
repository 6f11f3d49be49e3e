package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func historyCmd(g *globals) *cobra.Command {
	var noTrunc, quiet, human bool
	var format string
	c := &cobra.Command{
		Use:   "history [OPTIONS] IMAGE",
		Short: "Show the history of an image",
		Args:  exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine(c.Context())
			if err != nil {
				return err
			}
			items, err := e.History(c.Context(), args[0])
			if err != nil {
				return fmt.Errorf("history %s: %w", args[0], err)
			}
			var rows []row
			for _, it := range items {
				id := it.ID
				if id != "<missing>" {
					id = shortID(id, noTrunc)
				}
				createdBy := strings.ReplaceAll(it.CreatedBy, "\t", " ")
				if !noTrunc && len(createdBy) > 45 {
					createdBy = createdBy[:44] + "…"
				}
				size := humanSize(it.Size)
				if !human {
					size = fmt.Sprint(it.Size)
				}
				rows = append(rows, row{
					"ID": id, "CreatedSince": since(it.Created), "CreatedAt": it.Created.Format("2006-01-02T15:04:05Z07:00"),
					"CreatedBy": createdBy, "Size": size, "Comment": it.Comment, "Tags": strings.Join(it.Tags, ", "),
				})
			}
			if quiet {
				for _, r := range rows {
					fmt.Fprintln(g.stdout, r["ID"])
				}
				return nil
			}
			return listing{
				format:  format,
				columns: []string{"ID", "CreatedSince", "CreatedBy", "Size", "Comment"},
				headers: map[string]string{"ID": "IMAGE", "CreatedSince": "CREATED", "CreatedAt": "CREATED AT",
					"CreatedBy": "CREATED BY", "Size": "SIZE", "Comment": "COMMENT", "Tags": "TAGS"},
			}.print(g.stdout, rows)
		},
	}
	c.Flags().BoolVar(&noTrunc, "no-trunc", false, "don't truncate output")
	c.Flags().BoolVarP(&quiet, "quiet", "q", false, "only show image IDs")
	c.Flags().BoolVarP(&human, "human", "H", true, "print sizes and dates in human readable format")
	c.Flags().StringVar(&format, "format", "", "format output: table, json, table TEMPLATE or a Go template")
	return c
}
