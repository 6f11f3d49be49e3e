package engine

import (
	"context"
	"sort"

	"github.com/opencontainers/go-digest"

	"github.com/cais-project/cais/internal/engine/monitor"
)

// DiskUsageDetail is what `system df -v` lists: every image, container
// and volume with its space.
type DiskUsageDetail struct {
	Images     []ImageDiskUsage
	Containers []ContainerDiskUsage
	Volumes    []VolumeDiskUsage
}

// ImageDiskUsage is one image: SharedSize counts its layers another image
// also has, UniqueSize the rest; Containers is how many use it.
type ImageDiskUsage struct {
	ImageSummary
	SharedSize, UniqueSize int64
}

// ContainerDiskUsage is one container: SizeRw is its writable layer,
// LocalVolumes the volumes it mounts.
type ContainerDiskUsage struct {
	ContainerSummary
	SizeRw       int64
	LocalVolumes int
}

// Active reports whether the container counts as active for `system df`
// (running, paused or restarting, as Docker's).
func (c ContainerDiskUsage) Active() bool {
	return c.State == monitor.StateRunning || c.State == StatePaused || c.State == monitor.StateRestarting
}

// VolumeDiskUsage is one volume: Links is how many containers (running
// or not) mount it, Docker's RefCount; Size its data's bytes.
type VolumeDiskUsage struct {
	Name  string
	Links int
	Size  int64
}

// DiskUsageDetails measures every image, container and volume.
func (e *Engine) DiskUsageDetails(ctx context.Context) (DiskUsageDetail, error) {
	var d DiskUsageDetail
	var err error
	if d.Images, err = e.imageDiskUsage(ctx); err != nil {
		return d, err
	}
	cs, err := e.ListContainers(ctx, true)
	if err != nil {
		return d, err
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].Created.After(cs[j].Created) })
	for _, c := range cs {
		u := ContainerDiskUsage{ContainerSummary: c}
		if su, err := e.snaps.Usage(ctx, c.SnapshotKey); err == nil {
			u.SizeRw = su.Size
		}
		for _, m := range c.Mounts {
			if m.Type == "volume" {
				u.LocalVolumes++
			}
		}
		d.Containers = append(d.Containers, u)
	}
	vs, err := e.volumes().List()
	if err != nil {
		return d, err
	}
	users, err := e.volumeUsers()
	if err != nil {
		return d, err
	}
	for _, v := range vs {
		d.Volumes = append(d.Volumes, VolumeDiskUsage{Name: v.Name, Links: len(users[v.Name]), Size: e.volumes().Size(v.Name)})
	}
	return d, nil
}

// imageDiskUsage is every image (newest first) with the space it shares
// with other images and its own.
func (e *Engine) imageDiskUsage(ctx context.Context) ([]ImageDiskUsage, error) {
	imgs, err := e.loadImages(ctx)
	if err != nil {
		return nil, err
	}
	var chains []digest.Digest
	holders := map[digest.Digest]int{}
	for _, img := range imgs {
		cs := img.chainIDs()
		chains = append(chains, cs...)
		for _, c := range uniqueDigests(cs) {
			holders[c]++
		}
	}
	usage, err := e.layerUsage(ctx, chains)
	if err != nil {
		return nil, err
	}
	cs, err := e.listContainers()
	if err != nil {
		return nil, err
	}
	var out []ImageDiskUsage
	for _, img := range imgs {
		if img.loadErr != nil {
			continue
		}
		u := ImageDiskUsage{ImageSummary: img.summary(usage)}
		for _, c := range uniqueDigests(img.chainIDs()) {
			if holders[c] > 1 {
				u.SharedSize += usage[c]
			}
		}
		u.UniqueSize = u.Size - u.SharedSize
		for _, c := range cs {
			if c.ImageID == img.id {
				u.Containers++
			}
		}
		out = append(out, u)
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Created.After(out[b].Created) })
	return out, nil
}

func uniqueDigests(ds []digest.Digest) []digest.Digest {
	seen := map[digest.Digest]bool{}
	var out []digest.Digest
	for _, d := range ds {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}
