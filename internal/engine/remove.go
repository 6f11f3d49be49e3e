package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/image/metadata"
)

// ImageDelete is one line of what a removal did, as Docker reports it:
// exactly one of Untagged ("busybox:latest") or Deleted ("sha256:...").
type ImageDelete struct {
	Untagged string `json:"Untagged,omitempty"`
	Deleted  string `json:"Deleted,omitempty"`
}

// RemoveImage removes what s names, with Docker's rules: a reference with
// other names left on its image only untags; the image's last name, or its
// ID, removes the image (every name of it) and then whatever content and
// snapshots nothing else references. By ID, an image tagged in several
// repositories needs force. An image a container uses (one of the engine's
// container records, running or not, or Options.ImageInUse) is refused
// with errdefs.ErrConflict; with force its name is untagged but the image
// stays, dangling if that was its last name.
func (e *Engine) RemoveImage(ctx context.Context, s string, force bool) ([]ImageDelete, error) {
	img, rec, err := e.findImage(ctx, s)
	if err != nil {
		return nil, err
	}
	user, err := e.imageUser(img.id)
	if err != nil {
		return nil, err
	}
	used := user != nil
	if !used {
		if used, err = e.inUse(ctx, img.id); err != nil {
			return nil, err
		}
	}
	tags, digests := img.names()
	byName := rec.Name != "" && !isDangling(rec.Name)
	if byName && len(tags)+len(digests) > 1 {
		if err := e.deleteRecords(ctx, img, []metadata.Image{rec}); err != nil {
			return nil, err
		}
		return []ImageDelete{{Untagged: familiar(rec.Name)}}, nil
	}
	short := shortID(digestOf(img.id))
	switch {
	case used && byName && !force && user != nil:
		return nil, fmt.Errorf("conflict: unable to remove repository reference %q (must force) - container %s is using its referenced image %s: %w",
			s, user.ID[:12], short, errdefs.ErrConflict)
	case used && byName && force:
		// Docker keeps an image a container uses: it loses its name and
		// stays, dangling, until the container is gone.
		if err := e.untagKeeping(ctx, img, rec); err != nil {
			return nil, err
		}
		return []ImageDelete{{Untagged: familiar(rec.Name)}}, nil
	case used && user != nil:
		return nil, fmt.Errorf("conflict: unable to delete %s (cannot be forced) - image is being used by container %s: %w", short, user.ID[:12], errdefs.ErrConflict)
	case used:
		return nil, fmt.Errorf("unable to remove image %s: image is being used by a container: %w", short, errdefs.ErrConflict)
	case !byName && !force && repositories(tags) > 1:
		return nil, fmt.Errorf("unable to delete %s (must be forced) - image is referenced in multiple repositories: %w", short, errdefs.ErrConflict)
	}
	return e.deleteImage(ctx, img)
}

// untagKeeping removes the name rec, leaving img as a dangling image when
// that was its last name.
func (e *Engine) untagKeeping(ctx context.Context, img *image, rec metadata.Image) error {
	return e.images.with(func(s *metadata.Store) error {
		cur, err := s.Get(ctx, rec.Name)
		if errdefs.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if cur.Target.Digest != rec.Target.Digest {
			return nil // retagged meanwhile
		}
		if err := s.Delete(ctx, rec.Name); err != nil && !errdefs.IsNotFound(err) {
			return err
		}
		return danglingIfOrphan(ctx, s, img.id, rec)
	})
}

// deleteImage removes every record of img, then collects garbage.
func (e *Engine) deleteImage(ctx context.Context, img *image) ([]ImageDelete, error) {
	var out []ImageDelete
	tags, _ := img.names()
	for _, t := range tags {
		out = append(out, ImageDelete{Untagged: familiar(t)})
	}
	for _, d := range img.repoDigests() {
		out = append(out, ImageDelete{Untagged: d})
	}
	if err := e.deleteRecords(ctx, img, img.records); err != nil {
		return nil, err
	}
	out = append(out, ImageDelete{Deleted: img.id})
	gc, err := e.GC(ctx)
	if err != nil {
		return out, err
	}
	for _, s := range gc.Snapshots {
		out = append(out, ImageDelete{Deleted: s})
	}
	return out, nil
}

// deleteRecords removes records still pointing where they did when img
// was loaded.
func (e *Engine) deleteRecords(ctx context.Context, img *image, recs []metadata.Image) error {
	return e.images.with(func(s *metadata.Store) error {
		for _, r := range recs {
			cur, err := s.Get(ctx, r.Name)
			if errdefs.IsNotFound(err) {
				continue
			}
			if err != nil {
				return err
			}
			if cur.Target.Digest != r.Target.Digest {
				continue // retagged meanwhile
			}
			if err := s.Delete(ctx, r.Name); err != nil && !errdefs.IsNotFound(err) {
				return err
			}
		}
		return nil
	})
}

func repositories(tags []string) int {
	seen := map[string]bool{}
	for _, t := range tags {
		repo, _, _ := splitName(t)
		seen[repo] = true
	}
	return len(seen)
}

// Tag gives the image src names (reference or ID) the name dst. If dst
// named another image that no other name holds, that image becomes
// dangling.
func (e *Engine) Tag(ctx context.Context, src, dst string) error {
	img, rec, err := e.findImage(ctx, src)
	if err != nil {
		return err
	}
	ref, err := e.ParseReference(dst)
	if err != nil {
		return err
	}
	if ref.Digest != "" {
		return fmt.Errorf("refusing to create a tag with a digest reference: %s: %w", dst, errdefs.ErrInvalidArgument)
	}
	if rec.Name == "" {
		rec = img.records[0]
	}
	labels := map[string]string{}
	for k, v := range rec.Labels {
		if k != labelPushed {
			labels[k] = v
		}
	}
	old, oldErr := e.images.Get(ctx, ref.Name)
	var oldID string
	if oldErr == nil {
		oldID = e.loadRecord(ctx, old).id
	}
	return e.images.with(func(s *metadata.Store) error {
		cur, err := s.Get(ctx, ref.Name)
		switch {
		case errdefs.IsNotFound(err):
			_, err = s.Create(ctx, metadata.Image{Name: ref.Name, Target: rec.Target, Labels: labels})
			return err
		case err != nil:
			return err
		case cur.Target.Digest == rec.Target.Digest:
			return nil
		}
		cur.Target, cur.Labels = rec.Target, labels
		if _, err := s.Update(ctx, cur); err != nil {
			return err
		}
		if oldErr == nil && old.Target.Digest == cur.Target.Digest {
			return nil
		}
		if oldErr == nil && oldID != img.id {
			return danglingIfOrphan(ctx, s, oldID, old)
		}
		return nil
	})
}

// danglingIfOrphan records old's target under id when no record points
// to it any more.
func danglingIfOrphan(ctx context.Context, s *metadata.Store, id string, old metadata.Image) error {
	recs, err := s.List(ctx)
	if err != nil {
		return err
	}
	for _, r := range recs {
		if r.Target.Digest == old.Target.Digest {
			return nil
		}
	}
	labels := map[string]string{}
	for k, v := range old.Labels {
		if !strings.HasPrefix(k, "cais.io/pushed") {
			labels[k] = v
		}
	}
	_, err = s.Create(ctx, metadata.Image{Name: id, Target: old.Target, Labels: labels})
	if errdefs.IsAlreadyExists(err) {
		return nil
	}
	return err
}
