package engine

import (
	"context"

	"github.com/cais-project/cais/internal/mount"
)

// snapshotPrep is a container's rootfs snapshot being prepared in the
// background. The snapshotter's commit syncs its database twice (1-4 ms
// here), and the reservation of the container's name writes and syncs
// its record: CreateContainer starts the one before taking the lock for
// the other, so the two run (and their syncs may share a journal commit)
// together. A create that fails before its usual cleanup discards it.
type snapshotPrep struct {
	img  *image
	done chan struct{}
	ms   []mount.Mount
	err  error
	e    *Engine
	key  string
}

func (e *Engine) prepareSnapshotAsync(ctx context.Context, key string, img *image) *snapshotPrep {
	p := &snapshotPrep{img: img, done: make(chan struct{}), e: e, key: key}
	parent := ""
	if chain := img.chainIDs(); len(chain) > 0 {
		parent = chain[len(chain)-1].String()
	}
	go func() {
		defer close(p.done)
		p.ms, p.err = e.snaps.Prepare(ctx, key, parent)
	}()
	return p
}

// wait returns the snapshot's mounts once it is prepared.
func (p *snapshotPrep) wait() ([]mount.Mount, error) {
	<-p.done
	return p.ms, p.err
}

// discard waits for the snapshot and removes it if it was made.
func (p *snapshotPrep) discard(ctx context.Context) {
	if _, err := p.wait(); err == nil {
		p.e.snaps.Remove(ctx, p.key)
	}
}
