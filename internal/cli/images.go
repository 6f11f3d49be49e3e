package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cais-project/cais/internal/engine"
)

// imageHeaders and volumeHeaders are functions, not package-level maps,
// which every cais start would build.
func imageHeaders() map[string]string {
	return map[string]string{
		"ID": "IMAGE ID", "Repository": "REPOSITORY", "Tag": "TAG", "Digest": "DIGEST",
		"CreatedSince": "CREATED", "CreatedAt": "CREATED AT", "Size": "SIZE", "Containers": "CONTAINERS",
		"VirtualSize": "VIRTUAL SIZE", "SharedSize": "SHARED SIZE", "UniqueSize": "UNIQUE SIZE",
	}
}

func imagesCmd(g *globals, use string) *cobra.Command {
	var quiet, digests, noTrunc bool
	var filters []string
	var format string
	c := &cobra.Command{
		Use:     use + " [OPTIONS] [REPOSITORY[:TAG]]",
		Aliases: aliasesFor(use),
		Short:   "List images",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 {
				filters = append(filters, "reference="+args[0])
			}
			f, err := engine.ParseImageFilters(filters)
			if err != nil {
				return usageError{err}
			}
			e, err := g.engine(c.Context())
			if err != nil {
				return err
			}
			imgs, err := e.ListImages(c.Context(), f)
			if err != nil {
				return err
			}
			rows := imageRows(imgs, noTrunc || format == "json")
			if quiet {
				seen := map[string]bool{}
				for _, r := range rows {
					if !seen[r["ID"]] {
						seen[r["ID"]] = true
						fmt.Fprintln(g.stdout, r["ID"])
					}
				}
				return nil
			}
			cols := []string{"Repository", "Tag", "ID", "CreatedSince", "Size"}
			if digests {
				cols = []string{"Repository", "Tag", "Digest", "ID", "CreatedSince", "Size"}
			}
			return listing{format: format, columns: cols, headers: imageHeaders()}.print(g.stdout, rows)
		},
	}
	fl := c.Flags()
	fl.BoolVarP(&quiet, "quiet", "q", false, "only show image IDs")
	fl.BoolVar(&digests, "digests", false, "show digests")
	fl.BoolVar(&noTrunc, "no-trunc", false, "don't truncate output")
	fl.BoolP("all", "a", false, "show all images (Docker adds intermediate build images; cais has none, so the list is the same)")
	stringListVarP(fl, &filters, "filter", "f", "filter output: dangling=true|false, reference=PATTERN, label=KEY[=VALUE], before=IMAGE, since=IMAGE")
	fl.StringVar(&format, "format", "", "format output: table, json, table TEMPLATE or a Go template")
	return c
}

func aliasesFor(use string) []string {
	if use == "ls" {
		return []string{"list"}
	}
	return nil
}

// imageRows explodes images into Docker's rows: one per tag, or one
// "<none>" row for an image without tags.
func imageRows(imgs []engine.ImageSummary, noTrunc bool) []row {
	var rows []row
	for _, img := range imgs {
		base := row{
			"ID": shortID(img.ID, noTrunc), "CreatedSince": since(img.Created), "Size": humanSize(img.Size),
			"VirtualSize": humanSize(img.Size), "SharedSize": "N/A", "UniqueSize": "N/A", "Containers": "N/A",
			"CreatedAt": img.Created.Local().Format("2006-01-02 15:04:05 -0700 MST"), "Digest": "<none>",
		}
		if img.Created.IsZero() {
			base["CreatedAt"] = time.Time{}.String()
		}
		digestOf := func(repo string) string {
			for _, d := range img.RepoDigests {
				if r, dg, ok := strings.Cut(d, "@"); ok && r == repo {
					return dg
				}
			}
			return "<none>"
		}
		add := func(repo, tag string) {
			r := row{"Repository": repo, "Tag": tag}
			for k, v := range base {
				r[k] = v
			}
			r["Digest"] = digestOf(repo)
			rows = append(rows, r)
		}
		for _, t := range img.RepoTags {
			i := strings.LastIndexByte(t, ':')
			add(t[:i], t[i+1:])
		}
		if len(img.RepoTags) == 0 {
			if len(img.RepoDigests) == 0 {
				add("<none>", "<none>")
			}
			for _, d := range img.RepoDigests {
				repo, _, _ := strings.Cut(d, "@")
				add(repo, "<none>")
			}
		}
	}
	return rows
}
