package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/image/metadata"
	"github.com/cais-project/cais/internal/image/registry"
	"github.com/cais-project/cais/internal/image/snapshots/overlay"
)

// image is what the engine knows of one image ID: the records naming it
// and its loaded manifest and config (of the host's platform).
type image struct {
	id      string // "sha256:<config digest hex>", Docker's image ID
	records []metadata.Image
	loaded  registry.Image
	loadErr error // the image's manifest or config could not be read
	// configJSON is the config blob as read while loading, when kept
	// (run's lookup keeps it for imageHealth); nil otherwise.
	configJSON []byte
}

func (i *image) chainIDs() []digest.Digest {
	return identity.ChainIDs(append([]digest.Digest(nil), i.loaded.Config.RootFS.DiffIDs...))
}

// tags are the record names that are tags, digests the ones by digest.
func (i *image) names() (tags, digests []string) {
	for _, r := range i.records {
		if isDangling(r.Name) {
			continue
		}
		if _, _, d := splitName(r.Name); d != "" {
			digests = append(digests, r.Name)
		} else {
			tags = append(tags, r.Name)
		}
	}
	return tags, digests
}

// repoDigests are "repo@digest" for each repository the image came from or
// is tagged in, as Docker's RepoDigests.
func (i *image) repoDigests() []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, familiar(s))
		}
	}
	for _, r := range i.records {
		if isDangling(r.Name) {
			continue
		}
		repo, _, d := splitName(r.Name)
		if d != "" {
			add(r.Name)
			continue
		}
		if src := r.Labels[registry.LabelSource]; src != "" {
			add(normalizeRepo(src) + "@" + r.Target.Digest.String())
		} else if r.Labels[labelPushed] != "" {
			add(repo + "@" + r.Target.Digest.String())
		}
	}
	sort.Strings(out)
	return out
}

// normalizeRepo spells Docker Hub as docker.io, as record names do.
func normalizeRepo(repo string) string {
	if rest, ok := strings.CutPrefix(repo, "index.docker.io/"); ok {
		return "docker.io/" + rest
	}
	return repo
}

// labelPushed marks a record whose target has been pushed to its name's
// repository, so that repository's digest is known.
const labelPushed = "cais.io/pushed"

// loadImages reads every record and groups them by image ID, in the order
// of their first record's name.
func (e *Engine) loadImages(ctx context.Context) ([]*image, error) {
	recs, err := e.images.List(ctx)
	if err != nil {
		return nil, err
	}
	byTarget := map[digest.Digest]*image{}
	byID := map[string]*image{}
	var out []*image
	for _, r := range recs {
		img := byTarget[r.Target.Digest]
		if img == nil {
			img = e.loadRecord(ctx, r)
			if prev := byID[img.id]; prev != nil {
				img = prev
			} else {
				byID[img.id] = img
				out = append(out, img)
			}
			byTarget[r.Target.Digest] = img
		}
		img.records = append(img.records, r)
	}
	for _, img := range out {
		sort.Slice(img.records, func(a, b int) bool { return img.records[a].Name < img.records[b].Name })
	}
	return out, nil
}

// loadRecord reads the manifest and config a record points to (the host
// platform's, for an index). A record whose content cannot be read still
// becomes an image, with loadErr set and the target digest as its ID.
func (e *Engine) loadRecord(ctx context.Context, r metadata.Image) *image {
	return loadRecordFrom(ctx, e.content, r)
}

// loadRecordFrom is loadRecord reading blobs through cs.
func loadRecordFrom(ctx context.Context, cs registry.ContentStore, r metadata.Image) *image {
	st := registry.Store{Content: cs, Images: fixedRecord{r}}
	loaded, err := registry.Load(ctx, st, r.Name)
	img := &image{loaded: loaded, loadErr: err, id: r.Target.Digest.String()}
	if err == nil {
		img.id = loaded.Manifest.Config.Digest.String()
	}
	return img
}

// fixedRecord serves one record to registry.Load without opening the
// database again.
type fixedRecord struct{ r metadata.Image }

func (f fixedRecord) Get(_ context.Context, name string) (metadata.Image, error) {
	if name != f.r.Name {
		return metadata.Image{}, fmt.Errorf("image %s: %w", name, errdefs.ErrNotFound)
	}
	return f.r, nil
}

func (f fixedRecord) Create(context.Context, metadata.Image) (metadata.Image, error) {
	return metadata.Image{}, errdefs.ErrNotImplemented
}

func (f fixedRecord) Update(context.Context, metadata.Image, ...string) (metadata.Image, error) {
	return metadata.Image{}, errdefs.ErrNotImplemented
}

// findImage resolves what a user typed to one image: a reference (by tag
// or digest), a full ID "sha256:<hex>", or a unique prefix of an ID. It
// returns the image and the record the reference named (zero when found
// by ID).
func (e *Engine) findImage(ctx context.Context, s string) (*image, metadata.Image, error) {
	imgs, err := e.loadImages(ctx)
	if err != nil {
		return nil, metadata.Image{}, err
	}
	return findIn(imgs, s, e.ParseReference)
}

func findIn(imgs []*image, s string, parse func(string) (Reference, error)) (*image, metadata.Image, error) {
	if s == "" {
		return nil, metadata.Image{}, fmt.Errorf("empty image name: %w", errdefs.ErrInvalidArgument)
	}
	if ref, err := parse(s); err == nil {
		for _, img := range imgs {
			for _, r := range img.records {
				if r.Name == ref.Name {
					return img, r, nil
				}
			}
		}
	}
	hex := strings.TrimPrefix(s, "sha256:")
	if isHexPrefix(hex) {
		var found []*image
		for _, img := range imgs {
			if strings.HasPrefix(strings.TrimPrefix(img.id, "sha256:"), hex) {
				found = append(found, img)
			}
		}
		switch {
		case len(found) == 1:
			return found[0], metadata.Image{}, nil
		case len(found) > 1:
			return nil, metadata.Image{}, fmt.Errorf("%s matches %d images: %w", s, len(found), errdefs.ErrInvalidArgument)
		}
	}
	return nil, metadata.Image{}, fmt.Errorf("no such image: %s: %w", s, errdefs.ErrNotFound)
}

func isHexPrefix(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

// layerUsage returns the disk usage of each of the chain IDs' own layers
// (missing snapshots count zero), in one database opening.
func (e *Engine) layerUsage(ctx context.Context, chains []digest.Digest) (map[digest.Digest]int64, error) {
	out := map[digest.Digest]int64{}
	err := e.snaps.with(func(s *overlay.Snapshotter) error {
		for _, c := range chains {
			if _, ok := out[c]; ok {
				continue
			}
			u, err := s.Usage(ctx, c.String())
			if errors.Is(err, errdefs.ErrNotFound) {
				out[c] = 0
				continue
			}
			if err != nil {
				return err
			}
			out[c] = u.Size
		}
		return nil
	})
	return out, err
}

// size is the image's size as Docker reports it: its unpacked layers (or
// their compressed blobs where a layer is not unpacked).
func (i *image) size(usage map[digest.Digest]int64) int64 {
	var n int64
	chains := i.chainIDs()
	for k, l := range i.loaded.Layers {
		if k < len(chains) && usage[chains[k]] > 0 {
			n += usage[chains[k]]
		} else {
			n += l.Size
		}
	}
	return n
}
