package engine

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/cais-project/cais/internal/engine/monitor"
	"github.com/cais-project/cais/internal/errdefs"
)

// ListOptions are `ps`'s: which containers, and what to compute for each.
type ListOptions struct {
	// All includes containers that do not run; a status filter implies it.
	All bool
	// Last keeps the Last most recently created containers (of every
	// state), as ps -n; 0 keeps all.
	Last int
	// Filters are Docker's ps filters, key → values: id, name, label,
	// status, exited, ancestor, before, since. Values of one key match any
	// (or); different keys must all match (and).
	Filters map[string][]string
	// Size computes the writable layer's size and the rootfs's.
	Size bool
}

// ContainerListing is one row of ps with what the options asked for.
type ContainerListing struct {
	ContainerSummary
	Labels map[string]string
	// SizeRw is the writable layer's disk usage, SizeRootFs that plus the
	// image's (Docker's "virtual" size); both only with ListOptions.Size.
	SizeRw, SizeRootFs int64
}

// validState reports whether s is a status filter's value (a switch: a
// package-level map would be built at every cais start).
func validState(s string) bool {
	switch s {
	case "created", "restarting", "running", "removing", "paused", "exited", "dead":
		return true
	}
	return false
}

// List returns the containers o selects, newest first (as ps shows them).
// An unknown filter, a bad value or a before/since container that does not
// exist is an error.
func (e *Engine) List(ctx context.Context, o ListOptions) ([]ContainerListing, error) {
	f, err := e.compileFilters(ctx, o.Filters)
	if err != nil {
		return nil, err
	}
	all := o.All || o.Last > 0 || len(o.Filters["status"]) > 0
	list, err := e.ListContainers(ctx, all)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].Created.After(list[j].Created) })
	imgs, err := e.loadImages(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[string]*image{}
	for _, img := range imgs {
		byID[img.id] = img
	}
	var out []ContainerListing
	for _, s := range list {
		l := ContainerListing{ContainerSummary: s, Labels: map[string]string{}}
		if img := byID[s.ImageID]; img != nil && img.loadErr == nil {
			for k, v := range img.loaded.Config.Config.Labels {
				l.Labels[k] = v
			}
		}
		for k, v := range s.Settings.Labels { // -l and --label-file win
			l.Labels[k] = v
		}
		if !f.match(l) {
			continue
		}
		if o.Last > 0 && len(out) == o.Last {
			break
		}
		if o.Size {
			if u, err := e.snaps.Usage(ctx, s.SnapshotKey); err == nil {
				l.SizeRw = u.Size
			}
			l.SizeRootFs = l.SizeRw
			if img := byID[s.ImageID]; img != nil && img.loadErr == nil {
				if usage, err := e.layerUsage(ctx, img.chainIDs()); err == nil {
					l.SizeRootFs += img.size(usage)
				}
			}
		}
		out = append(out, l)
	}
	return out, nil
}

// psFilter is the compiled form of ListOptions.Filters.
type psFilter struct {
	ids, status, ancestors []string
	names                  []*regexp.Regexp
	labels                 []string
	exited                 []int
	before, since          *Container
}

func (e *Engine) compileFilters(ctx context.Context, fs map[string][]string) (*psFilter, error) {
	f := &psFilter{}
	for key, vals := range fs {
		for _, v := range vals {
			bad := fmt.Errorf("invalid filter '%s=%s': %w", key, v, errdefs.ErrInvalidArgument)
			switch key {
			case "id":
				f.ids = append(f.ids, v)
			case "name":
				re, err := regexp.Compile(v)
				if err != nil {
					return nil, bad
				}
				f.names = append(f.names, re)
			case "label":
				f.labels = append(f.labels, v)
			case "status":
				if !validState(v) {
					return nil, bad
				}
				f.status = append(f.status, v)
			case "exited":
				n, err := strconv.Atoi(v)
				if err != nil {
					return nil, bad
				}
				f.exited = append(f.exited, n)
			case "ancestor":
				f.ancestors = append(f.ancestors, v)
				if img, _, err := e.findImage(ctx, v); err == nil {
					f.ancestors = append(f.ancestors, img.id)
				}
			case "before", "since":
				c, err := e.FindContainer(ctx, v)
				if err != nil {
					return nil, err
				}
				if key == "before" {
					f.before = c
				} else {
					f.since = c
				}
			default:
				return nil, fmt.Errorf("invalid filter '%s': %w", key, errdefs.ErrInvalidArgument)
			}
		}
	}
	return f, nil
}

func (f *psFilter) match(l ContainerListing) bool {
	if len(f.ids) > 0 && !anyOf(f.ids, func(id string) bool { return strings.HasPrefix(l.ID, id) }) {
		return false
	}
	// Docker matches names with their leading slash.
	if len(f.names) > 0 && !anyOf(f.names, func(re *regexp.Regexp) bool { return re.MatchString("/" + l.Name) }) {
		return false
	}
	for _, want := range f.labels { // every label filter must hold
		k, v, hasV := strings.Cut(want, "=")
		got, ok := l.Labels[k]
		if !ok || (hasV && got != v) {
			return false
		}
	}
	if len(f.status) > 0 && !anyOf(f.status, func(s string) bool { return s == l.State }) {
		return false
	}
	if len(f.exited) > 0 && (l.State != monitor.StateExited || !anyOf(f.exited, func(n int) bool { return n == l.ExitCode })) {
		return false
	}
	if len(f.ancestors) > 0 && !anyOf(f.ancestors, func(a string) bool { return a == l.Image || a == l.ImageID }) {
		return false
	}
	if f.before != nil && !l.Created.Before(f.before.Created) {
		return false
	}
	if f.since != nil && !l.Created.After(f.since.Created) {
		return false
	}
	return true
}

func anyOf[T any](vs []T, ok func(T) bool) bool {
	for _, v := range vs {
		if ok(v) {
			return true
		}
	}
	return false
}
