package engine

import (
	"context"
	"fmt"
	"time"
)

// ImageInspect is Docker's image inspect document, with the fields cais
// knows. Field names and JSON keys are Docker's.
type ImageInspect struct {
	ID            string         `json:"Id"`
	RepoTags      []string       `json:"RepoTags"`
	RepoDigests   []string       `json:"RepoDigests"`
	Parent        string         `json:"Parent"`
	Comment       string         `json:"Comment"`
	Created       string         `json:"Created"`
	DockerVersion string         `json:"DockerVersion"`
	Author        string         `json:"Author"`
	Config        ImageConfig    `json:"Config"`
	Architecture  string         `json:"Architecture"`
	Variant       string         `json:"Variant,omitempty"`
	Os            string         `json:"Os"`
	OsVersion     string         `json:"OsVersion,omitempty"`
	Size          int64          `json:"Size"`
	GraphDriver   GraphDriver    `json:"GraphDriver"`
	RootFS        RootFS         `json:"RootFS"`
	Metadata      map[string]any `json:"Metadata"`
}

// ImageConfig is the part of an image's config a container starts from.
type ImageConfig struct {
	User         string              `json:"User"`
	ExposedPorts map[string]struct{} `json:"ExposedPorts"`
	Env          []string            `json:"Env"`
	Cmd          []string            `json:"Cmd"`
	Volumes      map[string]struct{} `json:"Volumes"`
	WorkingDir   string              `json:"WorkingDir"`
	Entrypoint   []string            `json:"Entrypoint"`
	Labels       map[string]string   `json:"Labels"`
	StopSignal   string              `json:"StopSignal,omitempty"`
}

// GraphDriver names the storage driver and its data.
type GraphDriver struct {
	Name string            `json:"Name"`
	Data map[string]string `json:"Data"`
}

// RootFS lists the image's layers by diffID.
type RootFS struct {
	Type   string   `json:"Type"`
	Layers []string `json:"Layers"`
}

// InspectImage describes the image s names (reference or ID).
func (e *Engine) InspectImage(ctx context.Context, s string) (ImageInspect, error) {
	img, _, err := e.findImage(ctx, s)
	if err != nil {
		return ImageInspect{}, err
	}
	if img.loadErr != nil {
		return ImageInspect{}, fmt.Errorf("image %s: %w", s, img.loadErr)
	}
	usage, err := e.layerUsage(ctx, img.chainIDs())
	if err != nil {
		return ImageInspect{}, err
	}
	sum := img.summary(usage)
	c := img.loaded.Config
	out := ImageInspect{
		ID: img.id, RepoTags: sum.RepoTags, RepoDigests: sum.RepoDigests,
		Author: c.Author, Architecture: c.Architecture, Variant: c.Variant, Os: c.OS, OsVersion: c.OSVersion,
		Size:        sum.Size,
		GraphDriver: GraphDriver{Name: "overlay", Data: map[string]string{}},
		RootFS:      RootFS{Type: c.RootFS.Type, Layers: []string{}},
		Metadata:    map[string]any{"LastTagTime": lastTag(img)},
		Config: ImageConfig{
			User: c.Config.User, ExposedPorts: c.Config.ExposedPorts, Env: c.Config.Env, Cmd: c.Config.Cmd,
			Volumes: c.Config.Volumes, WorkingDir: c.Config.WorkingDir, Entrypoint: c.Config.Entrypoint,
			Labels: c.Config.Labels, StopSignal: c.Config.StopSignal,
		},
	}
	if c.Created != nil {
		out.Created = c.Created.UTC().Format(time.RFC3339Nano)
	}
	for _, d := range c.RootFS.DiffIDs {
		out.RootFS.Layers = append(out.RootFS.Layers, d.String())
	}
	if chains := img.chainIDs(); len(chains) > 0 {
		out.GraphDriver.Data["ChainID"] = chains[len(chains)-1].String()
	}
	return out, nil
}

func lastTag(img *image) string {
	var t time.Time
	for _, r := range img.records {
		if r.UpdatedAt.After(t) {
			t = r.UpdatedAt
		}
	}
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

// HistoryItem is one step of an image's history, newest first.
type HistoryItem struct {
	ID        string    `json:"Id"` // the image ID on the newest step, "<missing>" on the others
	Created   time.Time `json:"Created"`
	CreatedBy string    `json:"CreatedBy"`
	Tags      []string  `json:"Tags"`
	Size      int64     `json:"Size"`
	Comment   string    `json:"Comment"`
}

// History lists the steps that built the image s names. An image whose
// config has no history gets one step per layer.
func (e *Engine) History(ctx context.Context, s string) ([]HistoryItem, error) {
	img, _, err := e.findImage(ctx, s)
	if err != nil {
		return nil, err
	}
	if img.loadErr != nil {
		return nil, fmt.Errorf("image %s: %w", s, img.loadErr)
	}
	chains := img.chainIDs()
	usage, err := e.layerUsage(ctx, chains)
	if err != nil {
		return nil, err
	}
	layerSize := func(i int) int64 {
		if i < len(chains) && usage[chains[i]] > 0 {
			return usage[chains[i]]
		}
		if i < len(img.loaded.Layers) {
			return img.loaded.Layers[i].Size
		}
		return 0
	}
	c := img.loaded.Config
	var items []HistoryItem
	if len(c.History) == 0 {
		for i := range chains {
			it := HistoryItem{ID: "<missing>", Size: layerSize(i)}
			if c.Created != nil {
				it.Created = *c.Created
			}
			items = append(items, it)
		}
	} else {
		layer := 0
		for _, h := range c.History {
			it := HistoryItem{ID: "<missing>", CreatedBy: h.CreatedBy, Comment: h.Comment}
			if h.Created != nil {
				it.Created = *h.Created
			}
			if !h.EmptyLayer {
				it.Size = layerSize(layer)
				layer++
			}
			items = append(items, it)
		}
	}
	for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
		items[i], items[j] = items[j], items[i]
	}
	if len(items) > 0 {
		items[0].ID = img.id
		tags, _ := img.names()
		for _, t := range tags {
			items[0].Tags = append(items[0].Tags, familiar(t))
		}
	}
	return items, nil
}
