package engine

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"

	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/image/content"
	"github.com/cais-project/cais/internal/image/registry"
	"github.com/cais-project/cais/internal/image/snapshots"
	"github.com/cais-project/cais/internal/image/snapshots/overlay"
)

func digestOf(id string) digest.Digest { return digest.Digest(id) }

// GCResult says what a collection removed.
type GCResult struct {
	Blobs     []string // digests of removed blobs
	Snapshots []string // chain IDs of removed layers
	Reclaimed int64    // bytes of blobs and layers removed
}

// GC removes blobs and snapshots no image record references: from every
// record's target it walks index → manifests → config and layers, and
// keeps the chain IDs of every config's layers. It takes gc.lock
// exclusively, so it waits for pulls in progress.
func (e *Engine) GC(ctx context.Context) (GCResult, error) {
	unlock, err := e.lockGC()
	if err != nil {
		return GCResult{}, err
	}
	defer unlock()
	recs, err := e.images.List(ctx)
	if err != nil {
		return GCResult{}, err
	}
	blobs, chains := map[digest.Digest]bool{}, map[string]bool{}
	for _, r := range recs {
		if err := e.mark(ctx, r.Target, blobs, chains); err != nil {
			return GCResult{}, err
		}
	}
	var res GCResult
	if err := e.sweepSnapshots(ctx, chains, &res); err != nil {
		return res, err
	}
	var garbage []content.Info
	err = e.content.Walk(ctx, func(i content.Info) error {
		if !blobs[i.Digest] {
			garbage = append(garbage, i)
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	for _, i := range garbage {
		if err := e.content.Delete(ctx, i.Digest); err != nil && !errdefs.IsNotFound(err) {
			return res, err
		}
		res.Blobs = append(res.Blobs, i.Digest.String())
		res.Reclaimed += i.Size
	}
	return res, nil
}

// mark adds desc and everything it references (that is present) to blobs,
// and the layer chains of every image config to chains.
func (e *Engine) mark(ctx context.Context, desc ocispec.Descriptor, blobs map[digest.Digest]bool, chains map[string]bool) error {
	if blobs[desc.Digest] {
		return nil
	}
	blobs[desc.Digest] = true
	if !strings.Contains(desc.MediaType, "manifest") && !strings.Contains(desc.MediaType, "index") {
		return nil
	}
	b, err := content.ReadBlob(ctx, e.content, desc, registry.DefaultManifestLimit)
	if errdefs.IsNotFound(err) {
		return nil // an index whose other platforms were never fetched
	}
	if err != nil {
		return err
	}
	var m struct {
		Manifests []ocispec.Descriptor `json:"manifests"`
		Config    *ocispec.Descriptor  `json:"config"`
		Layers    []ocispec.Descriptor `json:"layers"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil // not ours to judge; keep the blob, follow nothing
	}
	for _, c := range m.Manifests {
		if err := e.mark(ctx, c, blobs, chains); err != nil {
			return err
		}
	}
	for _, l := range m.Layers {
		blobs[l.Digest] = true
	}
	if m.Config == nil {
		return nil
	}
	blobs[m.Config.Digest] = true
	var cfg ocispec.Image
	cb, err := content.ReadBlob(ctx, e.content, *m.Config, registry.DefaultManifestLimit)
	if err != nil || json.Unmarshal(cb, &cfg) != nil {
		return nil
	}
	for _, c := range identity.ChainIDs(append([]digest.Digest(nil), cfg.RootFS.DiffIDs...)) {
		chains[c.String()] = true
	}
	return nil
}

// sweepSnapshots removes committed layers outside chains, and extraction
// snapshots left by interrupted pulls (none runs while GC holds its lock),
// children before parents.
func (e *Engine) sweepSnapshots(ctx context.Context, chains map[string]bool, res *GCResult) error {
	return e.snaps.with(func(s *overlay.Snapshotter) error {
		var all []snapshots.Info
		err := s.Walk(ctx, func(_ context.Context, i snapshots.Info) error {
			all = append(all, i)
			return nil
		})
		if err != nil {
			return err
		}
		parent := map[string]string{}
		for _, i := range all {
			parent[i.Name] = i.Parent
		}
		depth := func(n string) int {
			d := 0
			for n != "" && d <= len(all) {
				n = parent[n]
				d++
			}
			return d
		}
		var doomed []snapshots.Info
		for _, i := range all {
			switch {
			case i.Kind == snapshots.KindCommitted && !chains[i.Name]:
				doomed = append(doomed, i)
			case i.Kind == snapshots.KindActive && strings.HasPrefix(i.Name, "extract-"):
				doomed = append(doomed, i)
			}
		}
		sort.SliceStable(doomed, func(a, b int) bool { return depth(doomed[a].Name) > depth(doomed[b].Name) })
		for _, i := range doomed {
			u, _ := s.Usage(ctx, i.Name)
			err := s.Remove(ctx, i.Name)
			if errors.Is(err, errdefs.ErrConflict) {
				continue // still the parent of something kept
			}
			if err != nil && !errdefs.IsNotFound(err) {
				return err
			}
			res.Reclaimed += u.Size
			if i.Kind == snapshots.KindCommitted {
				res.Snapshots = append(res.Snapshots, i.Name)
			}
		}
		return nil
	})
}

// PruneResult says what Prune removed.
type PruneResult struct {
	Deleted        []ImageDelete
	SpaceReclaimed int64
}

// Prune removes dangling images, or with all every image no container
// uses, then collects garbage.
func (e *Engine) Prune(ctx context.Context, all bool) (PruneResult, error) {
	imgs, err := e.loadImages(ctx)
	if err != nil {
		return PruneResult{}, err
	}
	var res PruneResult
	for _, img := range imgs {
		tags, _ := img.names()
		if len(tags) > 0 && !all {
			continue
		}
		if used, err := e.inUse(ctx, img.id); err != nil || used {
			if err != nil {
				return res, err
			}
			continue
		}
		for _, t := range tags {
			res.Deleted = append(res.Deleted, ImageDelete{Untagged: familiar(t)})
		}
		for _, d := range img.repoDigests() {
			res.Deleted = append(res.Deleted, ImageDelete{Untagged: d})
		}
		if err := e.deleteRecords(ctx, img, img.records); err != nil {
			return res, err
		}
		res.Deleted = append(res.Deleted, ImageDelete{Deleted: img.id})
	}
	gc, err := e.GC(ctx)
	for _, s := range gc.Snapshots {
		res.Deleted = append(res.Deleted, ImageDelete{Deleted: s})
	}
	res.SpaceReclaimed = gc.Reclaimed
	return res, err
}

// DiskUsage is what `system df` reports.
type DiskUsage struct {
	Images            int
	ActiveImages      int
	ImagesSize        int64 // unique layers (shared ones once)
	ImagesReclaimable int64 // layers no container's image uses
}

// DiskUsage measures the images' space.
func (e *Engine) DiskUsage(ctx context.Context) (DiskUsage, error) {
	imgs, err := e.loadImages(ctx)
	if err != nil {
		return DiskUsage{}, err
	}
	var chains []digest.Digest
	for _, img := range imgs {
		chains = append(chains, img.chainIDs()...)
	}
	usage, err := e.layerUsage(ctx, chains)
	if err != nil {
		return DiskUsage{}, err
	}
	du := DiskUsage{Images: len(imgs)}
	counted, usedLayers := map[digest.Digest]bool{}, map[digest.Digest]bool{}
	for _, img := range imgs {
		used, err := e.inUse(ctx, img.id)
		if err != nil {
			return du, err
		}
		if used {
			du.ActiveImages++
		}
		cs := img.chainIDs()
		for k, l := range img.loaded.Layers {
			key, size := l.Digest, l.Size
			if k < len(cs) && usage[cs[k]] > 0 {
				key, size = cs[k], usage[cs[k]]
			}
			if used {
				usedLayers[key] = true
			}
			if !counted[key] {
				counted[key] = true
				du.ImagesSize += size
			}
		}
	}
	du.ImagesReclaimable = du.ImagesSize
	for _, img := range imgs {
		cs := img.chainIDs()
		for k := range img.loaded.Layers {
			if k < len(cs) && usedLayers[cs[k]] {
				du.ImagesReclaimable -= usage[cs[k]]
				delete(usedLayers, cs[k])
			}
		}
	}
	return du, nil
}
