package engine

import (
	"context"
	"sync"

	"github.com/opencontainers/go-digest"

	"github.com/cais-project/cais/internal/image/metadata"
	"github.com/cais-project/cais/internal/image/registry"
)

// PushOptions are Push's optional settings.
type PushOptions struct {
	// Progress, if set, receives events one at a time; it must be quick.
	Progress func(Event)
}

// PushResult says what was pushed.
type PushResult struct {
	Reference Reference
	Digest    string // the manifest or index digest
	Size      int64  // its size in bytes
}

// Push uploads the image named ref to ref's repository.
func (e *Engine) Push(ctx context.Context, ref string, opts PushOptions) (PushResult, error) {
	pref, err := e.ParseReference(ref)
	if err != nil {
		return PushResult{}, err
	}
	rec, err := e.images.Get(ctx, pref.Name)
	if err != nil {
		return PushResult{}, err
	}
	prog := &pushProgress{send: opts.Progress, seen: map[digest.Digest]bool{}}
	err = registry.Push(ctx, e.registryStore(), ref,
		registry.WithInsecureRegistries(e.opts.InsecureRegistries...), registry.WithProgress(prog))
	if err != nil {
		return PushResult{}, err
	}
	// Remember that this repository now has the digest (RepoDigests).
	_ = e.images.with(func(s *metadata.Store) error {
		cur, err := s.Get(ctx, pref.Name)
		if err != nil || cur.Target.Digest != rec.Target.Digest {
			return err
		}
		if cur.Labels == nil {
			cur.Labels = map[string]string{}
		}
		cur.Labels[labelPushed] = "true"
		_, err = s.Update(ctx, cur, metadata.FieldLabels)
		return err
	})
	return PushResult{Reference: pref, Digest: rec.Target.Digest.String(), Size: rec.Target.Size}, nil
}

type pushProgress struct {
	mu   sync.Mutex
	send func(Event)
	seen map[digest.Digest]bool
}

// Progress implements registry.Progress.
func (p *pushProgress) Progress(u registry.Update) {
	if p.send == nil || !isLayer(u.MediaType) {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	id := shortID(u.Digest)
	if !p.seen[u.Digest] {
		p.seen[u.Digest] = true
		p.send(Event{ID: id, Status: "Preparing"})
	}
	switch u.State {
	case registry.StateExists:
		p.send(Event{ID: id, Status: "Layer already exists"})
	case registry.StateActive:
		p.send(Event{ID: id, Status: "Pushing", Current: u.Done, Total: u.Total})
	case registry.StateDone:
		p.send(Event{ID: id, Status: "Pushed"})
	}
}
