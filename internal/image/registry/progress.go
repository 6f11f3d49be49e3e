package registry

import (
	"sync"

	"github.com/opencontainers/go-digest"
)

// State is where one blob's transfer stands.
type State string

// The states a blob goes through; each transfer ends in one of Exists,
// Done, Skipped or Failed.
const (
	StateExists   State = "exists"   // already in the store / the registry
	StateActive   State = "active"   // bytes are moving
	StateDone     State = "done"     // transferred and verified
	StateSkipped  State = "skipped"  // not transferred (foreign layer)
	StateFailed   State = "failed"   // gave up; see the returned error
	StateRetrying State = "retrying" // cut short, starting again
)

// Update reports one blob's progress.
type Update struct {
	Digest    digest.Digest
	MediaType string
	State     State
	Done      int64 // bytes transferred so far
	Total     int64 // bytes expected
}

// Progress receives updates during Pull and Push. Calls are serialized, so
// an implementation need not be safe for concurrent use, but it must be
// quick: transfers wait for it.
type Progress interface {
	Progress(Update)
}

// ProgressFunc adapts a function to Progress.
type ProgressFunc func(Update)

// Progress implements Progress.
func (f ProgressFunc) Progress(u Update) { f(u) }

// serialProgress makes calls to a Progress one at a time.
type serialProgress struct {
	mu sync.Mutex
	p  Progress
}

func (s *serialProgress) send(u Update) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.p.Progress(u)
}

// counter reports bytes as they pass through Write.
type counter struct {
	sp *serialProgress
	u  Update
}

func (c *counter) Write(p []byte) (int, error) {
	c.u.Done += int64(len(p))
	c.u.State = StateActive
	c.sp.send(c.u)
	return len(p), nil
}
