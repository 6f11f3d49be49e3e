package cli

import (
	"fmt"
	"strconv"

	"github.com/cais-project/cais/internal/engine"
)

// printDiskUsageDetails is `system df -v`: Docker's four sections.
func printDiskUsageDetails(g *globals, d engine.DiskUsageDetail) error {
	var images []row
	for _, img := range d.Images {
		for _, r := range imageRows([]engine.ImageSummary{img.ImageSummary}, false) {
			r["SharedSize"], r["UniqueSize"] = humanSize(img.SharedSize), humanSize(img.UniqueSize)
			r["Containers"] = strconv.Itoa(img.Containers)
			images = append(images, r)
		}
	}
	var containers []row
	for _, c := range d.Containers {
		r := psRow(engine.ContainerListing{ContainerSummary: c.ContainerSummary, SizeRw: c.SizeRw}, false)
		r["LocalVolumes"] = strconv.Itoa(c.LocalVolumes)
		containers = append(containers, r)
	}
	var volumes []row
	for _, v := range d.Volumes {
		volumes = append(volumes, row{"Name": v.Name, "Links": strconv.Itoa(v.Links), "Size": humanSize(v.Size)})
	}
	sections := []struct {
		title string
		l     listing
		rows  []row
	}{
		{"Images space usage:", listing{
			columns: []string{"Repository", "Tag", "ID", "CreatedSince", "Size", "SharedSize", "UniqueSize", "Containers"},
			headers: imageHeaders()}, images},
		{"Containers space usage:", listing{
			columns: []string{"ID", "Image", "Command", "LocalVolumes", "Size", "RunningFor", "Status", "Names"},
			headers: map[string]string{"ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND", "LocalVolumes": "LOCAL VOLUMES",
				"Size": "SIZE", "RunningFor": "CREATED", "Status": "STATUS", "Names": "NAMES"}}, containers},
		{"Local Volumes space usage:", listing{
			columns: []string{"Name", "Links", "Size"},
			headers: map[string]string{"Name": "VOLUME NAME", "Links": "LINKS", "Size": "SIZE"}}, volumes},
	}
	for _, s := range sections {
		fmt.Fprintf(g.stdout, "%s\n\n", s.title)
		if err := s.l.print(g.stdout, s.rows); err != nil {
			return err
		}
		fmt.Fprintln(g.stdout)
	}
	fmt.Fprintf(g.stdout, "Build cache usage: 0B\n\n")
	return listing{
		columns: []string{"ID", "CacheType", "Size", "CreatedSince", "LastUsedSince", "UsageCount", "Shared"},
		headers: map[string]string{"ID": "CACHE ID", "CacheType": "CACHE TYPE", "Size": "SIZE", "CreatedSince": "CREATED",
			"LastUsedSince": "LAST USED", "UsageCount": "USAGE", "Shared": "SHARED"},
	}.print(g.stdout, nil)
}
