package engine

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cais-project/cais/internal/engine/volume"
	"github.com/cais-project/cais/internal/errdefs"
)

// VolumeInspect is Docker's volume document.
type VolumeInspect struct {
	CreatedAt  string            `json:"CreatedAt"`
	Driver     string            `json:"Driver"`
	Labels     map[string]string `json:"Labels"`
	Mountpoint string            `json:"Mountpoint"`
	Name       string            `json:"Name"`
	Options    map[string]string `json:"Options"`
	Scope      string            `json:"Scope"`
}

func volumeDoc(v volume.Volume) VolumeInspect {
	d := VolumeInspect{
		CreatedAt: v.CreatedAt.Format(time.RFC3339), Driver: v.Driver, Labels: v.Labels,
		Mountpoint: v.Mountpoint, Name: v.Name, Options: v.Options, Scope: "local",
	}
	if d.Labels == nil {
		d.Labels = map[string]string{}
	}
	if d.Options == nil {
		d.Options = map[string]string{}
	}
	return d
}

// VolumeCreateOptions are `volume create`'s.
type VolumeCreateOptions = volume.CreateOptions

// CreateVolume makes a volume (a random name when o.Name is empty), or
// returns the existing one of that name, as Docker does.
func (e *Engine) CreateVolume(ctx context.Context, o VolumeCreateOptions) (VolumeInspect, error) {
	v, _, err := e.volumes().Create(o)
	if err != nil {
		return VolumeInspect{}, err
	}
	return volumeDoc(v), nil
}

// InspectVolume describes the named volume.
func (e *Engine) InspectVolume(ctx context.Context, name string) (VolumeInspect, error) {
	v, err := e.volumes().Get(name)
	if err != nil {
		return VolumeInspect{}, err
	}
	return volumeDoc(v), nil
}

// volumeUsers maps each volume name to the containers (names) whose
// records mount it, running or not.
func (e *Engine) volumeUsers() (map[string][]string, error) {
	cs, err := e.listContainers()
	if err != nil {
		return nil, err
	}
	users := map[string][]string{}
	for _, c := range cs {
		for _, m := range c.Mounts {
			if m.Type == "volume" {
				users[m.Name] = append(users[m.Name], c.Name)
			}
		}
	}
	return users, nil
}

// volumeFilter is one --filter of volume ls or prune.
type volumeFilter struct{ key, value string }

func parseVolumeFilters(fs []string, allowed ...string) ([]volumeFilter, error) {
	var out []volumeFilter
	for _, f := range fs {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return nil, fmt.Errorf("bad format of filter %q (expected name=value): %w", f, errdefs.ErrInvalidArgument)
		}
		k = strings.ToLower(k)
		if !contains(allowed, k) {
			return nil, fmt.Errorf("invalid filter %q (want one of %s): %w", k, strings.Join(allowed, ", "), errdefs.ErrInvalidArgument)
		}
		if k == "dangling" {
			if _, err := strconv.ParseBool(v); err != nil {
				return nil, fmt.Errorf("invalid filter 'dangling=%s': want true or false: %w", v, errdefs.ErrInvalidArgument)
			}
		}
		out = append(out, volumeFilter{k, v})
	}
	return out, nil
}

// hasLabel matches "key" or "key=value" against labels.
func hasLabel(labels map[string]string, want string) bool {
	k, v, withValue := strings.Cut(want, "=")
	got, ok := labels[k]
	return ok && (!withValue || got == v)
}

// volumeMatches applies Docker's rules: several name= or driver= are
// alternatives, every label= must match and no label!= may.
func volumeMatches(v volume.Volume, fs []volumeFilter, inUse bool) bool {
	alt := map[string]bool{} // key -> one of its values matched
	for _, f := range fs {
		switch f.key {
		case "name":
			alt["name"] = alt["name"] || strings.Contains(v.Name, f.value)
		case "driver":
			alt["driver"] = alt["driver"] || v.Driver == f.value
		case "label":
			if !hasLabel(v.Labels, f.value) {
				return false
			}
		case "label!":
			if hasLabel(v.Labels, f.value) {
				return false
			}
		case "dangling":
			if b, _ := strconv.ParseBool(f.value); b == inUse {
				return false
			}
		}
	}
	for _, f := range fs {
		if (f.key == "name" || f.key == "driver") && !alt[f.key] {
			return false
		}
	}
	return true
}

// ListVolumes returns the volumes the filters (--filter of volume ls:
// dangling, name, label, driver) select, by name.
func (e *Engine) ListVolumes(ctx context.Context, filters []string) ([]VolumeInspect, error) {
	fs, err := parseVolumeFilters(filters, "dangling", "name", "label", "driver")
	if err != nil {
		return nil, err
	}
	vs, err := e.volumes().List()
	if err != nil {
		return nil, err
	}
	users, err := e.volumeUsers()
	if err != nil {
		return nil, err
	}
	out := []VolumeInspect{}
	for _, v := range vs {
		if volumeMatches(v, fs, len(users[v.Name]) > 0) {
			out = append(out, volumeDoc(v))
		}
	}
	return out, nil
}

// RemoveVolume removes a volume no container uses (running or not: a
// record that mounts it is a use); the error names the containers. With
// force a missing volume is not an error.
func (e *Engine) RemoveVolume(ctx context.Context, name string, force bool) error {
	unlock, err := e.lockContainers()
	if err != nil {
		return err
	}
	defer unlock()
	err = e.removeUnusedVolume(name)
	if force && errors.Is(err, errdefs.ErrNotFound) {
		return nil
	}
	return err
}

// removeUnusedVolume: the caller holds lockContainers.
func (e *Engine) removeUnusedVolume(name string) error {
	if _, err := e.volumes().Get(name); err != nil {
		return err
	}
	users, err := e.volumeUsers()
	if err != nil {
		return err
	}
	if u := users[name]; len(u) > 0 {
		return fmt.Errorf("remove %s: volume is in use by container(s) %s: %w", name, strings.Join(u, ", "), errdefs.ErrConflict)
	}
	return e.volumes().Remove(name)
}

// VolumePruneResult is what volume prune removed.
type VolumePruneResult struct {
	Deleted        []string
	SpaceReclaimed int64
}

// PruneVolumes removes the volumes no container uses: only anonymous ones
// unless all (Docker 23+), and only those the label filters select.
func (e *Engine) PruneVolumes(ctx context.Context, all bool, filters []string) (VolumePruneResult, error) {
	var res VolumePruneResult
	var fs []volumeFilter
	for _, f := range filters { // Docker's prune spells exclusion label!=
		if rest, ok := strings.CutPrefix(f, "label!="); ok {
			fs = append(fs, volumeFilter{"label!", rest})
			continue
		}
		parsed, err := parseVolumeFilters([]string{f}, "label", "all")
		if err != nil {
			return res, err
		}
		if parsed[0].key == "all" {
			b, err := strconv.ParseBool(parsed[0].value)
			if err != nil {
				return res, fmt.Errorf("invalid filter 'all=%s': %w", parsed[0].value, errdefs.ErrInvalidArgument)
			}
			all = all || b
			continue
		}
		fs = append(fs, parsed...)
	}
	unlock, err := e.lockContainers()
	if err != nil {
		return res, err
	}
	defer unlock()
	vs, err := e.volumes().List()
	if err != nil {
		return res, err
	}
	users, err := e.volumeUsers()
	if err != nil {
		return res, err
	}
	var errs []error
	for _, v := range vs {
		if len(users[v.Name]) > 0 || (!all && !v.Anonymous()) || !volumeMatches(v, fs, false) {
			continue
		}
		size := e.volumes().Size(v.Name)
		if err := e.volumes().Remove(v.Name); err != nil {
			errs = append(errs, err)
			continue
		}
		res.Deleted = append(res.Deleted, v.Name)
		res.SpaceReclaimed += size
	}
	return res, errors.Join(errs...)
}
