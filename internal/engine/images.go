package engine

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/cais-project/cais/internal/errdefs"
)

// ImageSummary is one image as `images` lists it (Docker's ImageSummary).
type ImageSummary struct {
	ID          string            `json:"Id"`
	RepoTags    []string          `json:"RepoTags"`    // familiar "repo:tag"
	RepoDigests []string          `json:"RepoDigests"` // familiar "repo@sha256:..."
	Created     time.Time         `json:"Created"`
	Size        int64             `json:"Size"`
	Labels      map[string]string `json:"Labels"`
	Containers  int               `json:"Containers"`
}

// ImageFilters select images; the zero value selects all.
type ImageFilters struct {
	Dangling   *bool    // true: only images without tags; false: only tagged ones
	References []string // shell patterns over "repo" or "repo:tag" (familiar or full); any may match
	Labels     []string // "key" or "key=value"; all must match
	Before     []string // images (reference or ID); only images created before all of them
	Since      []string // images (reference or ID); only images created after all of them

	// before and since are the creation times Before and Since resolve to.
	before, since []time.Time
}

// ParseImageFilters parses `--filter` arguments: dangling=true|false,
// reference=PATTERN, label=KEY[=VALUE], before=IMAGE, since=IMAGE.
func ParseImageFilters(args []string) (ImageFilters, error) {
	var f ImageFilters
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			return f, fmt.Errorf("bad format of filter (expected name=value): %s: %w", a, errdefs.ErrInvalidArgument)
		}
		switch k {
		case "dangling":
			switch strings.ToLower(v) {
			case "true", "1":
				t := true
				f.Dangling = &t
			case "false", "0":
				t := false
				f.Dangling = &t
			default:
				return f, fmt.Errorf("invalid filter 'dangling=%s': %w", v, errdefs.ErrInvalidArgument)
			}
		case "reference":
			if _, err := path.Match(v, ""); err != nil {
				return f, fmt.Errorf("invalid reference pattern %q: %w", v, errdefs.ErrInvalidArgument)
			}
			f.References = append(f.References, v)
		case "label":
			f.Labels = append(f.Labels, v)
		case "before":
			f.Before = append(f.Before, v)
		case "since":
			f.Since = append(f.Since, v)
		default:
			return f, fmt.Errorf("invalid filter '%s': %w", k, errdefs.ErrInvalidArgument)
		}
	}
	return f, nil
}

// ListImages lists images, newest first, as Docker does.
func (e *Engine) ListImages(ctx context.Context, f ImageFilters) ([]ImageSummary, error) {
	imgs, err := e.loadImages(ctx)
	if err != nil {
		return nil, err
	}
	f.before, f.since = nil, nil
	for _, list := range []struct {
		names []string
		times *[]time.Time
	}{{f.Before, &f.before}, {f.Since, &f.since}} {
		for _, n := range list.names {
			img, _, err := findIn(imgs, n, e.ParseReference)
			if err != nil {
				return nil, err
			}
			var t time.Time
			if img.loaded.Config.Created != nil {
				t = *img.loaded.Config.Created
			}
			*list.times = append(*list.times, t)
		}
	}
	var chains []digest.Digest
	for _, img := range imgs {
		chains = append(chains, img.chainIDs()...)
	}
	usage, err := e.layerUsage(ctx, chains)
	if err != nil {
		return nil, err
	}
	var out []ImageSummary
	for _, img := range imgs {
		s := img.summary(usage)
		if f.match(s) {
			out = append(out, s)
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		if !out[a].Created.Equal(out[b].Created) {
			return out[a].Created.After(out[b].Created)
		}
		return out[a].ID < out[b].ID
	})
	return out, nil
}

func (img *image) summary(usage map[digest.Digest]int64) ImageSummary {
	tags, digests := img.names()
	s := ImageSummary{
		ID: img.id, RepoTags: []string{}, RepoDigests: img.repoDigests(),
		Size: img.size(usage), Labels: img.loaded.Config.Config.Labels,
	}
	for _, t := range tags {
		s.RepoTags = append(s.RepoTags, familiar(t))
	}
	sort.Strings(s.RepoTags)
	for _, d := range digests {
		if !contains(s.RepoDigests, familiar(d)) {
			s.RepoDigests = append(s.RepoDigests, familiar(d))
		}
	}
	if s.RepoDigests == nil {
		s.RepoDigests = []string{}
	}
	if img.loaded.Config.Created != nil {
		s.Created = *img.loaded.Config.Created
	}
	return s
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (f ImageFilters) match(s ImageSummary) bool {
	dangling := len(s.RepoTags) == 0
	if f.Dangling != nil && *f.Dangling != dangling {
		return false
	}
	if len(f.References) > 0 && !f.matchReference(s) {
		return false
	}
	for _, t := range f.before {
		if !s.Created.Before(t) {
			return false
		}
	}
	for _, t := range f.since {
		if !s.Created.After(t) {
			return false
		}
	}
	for _, l := range f.Labels {
		k, v, hasValue := strings.Cut(l, "=")
		got, ok := s.Labels[k]
		if !ok || (hasValue && got != v) {
			return false
		}
	}
	return true
}

func (f ImageFilters) matchReference(s ImageSummary) bool {
	for _, pat := range f.References {
		for _, t := range append(append([]string(nil), s.RepoTags...), s.RepoDigests...) {
			repo, _, _ := splitName(t)
			for _, cand := range []string{t, repo} {
				if ok, _ := path.Match(pat, cand); ok {
					return true
				}
			}
		}
	}
	return false
}
