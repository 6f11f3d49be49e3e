package archive

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"
	"sync/atomic"
)

// maxJobFile is the largest file handed to a file job: its content is read
// into memory first. Larger files are written by Apply itself.
const maxJobFile = 64 << 10

// jobQueue is how many files each worker may have waiting.
const jobQueue = 32

// pool runs the file jobs of ParallelFiles.
type pool struct {
	a      *applier
	qs     []chan fileJob
	jobs   sync.WaitGroup // dispatched and not finished
	exited sync.WaitGroup
	failed atomic.Bool
	mu     sync.Mutex
	err    error
	// Owned by Apply's goroutine: the paths of jobs dispatched since the
	// last barrier, and every directory above them.
	pending, above map[string]bool
}

type fileJob struct {
	hdr    *tar.Header
	h      *dirHandle
	setgid bool
	base   string
	data   []byte
}

func (a *applier) startPool(n int) *pool {
	p := &pool{a: a, qs: make([]chan fileJob, n), pending: map[string]bool{}, above: map[string]bool{}}
	for i := range p.qs {
		q := make(chan fileJob, jobQueue)
		p.qs[i] = q
		p.exited.Add(1)
		go p.work(q)
	}
	return p
}

func (p *pool) work(q chan fileJob) {
	defer p.exited.Done()
	buf := make([]byte, 32<<10)
	for j := range q {
		if !p.failed.Load() {
			clear := func() error {
				// Nothing pending is on or below this path (dispatch
				// checked), and the cache never holds it or below.
				if err := removeAllAt(j.h.fd, j.base); err != nil {
					return fmt.Errorf("layer entry %q: replacing existing entry: %w", j.hdr.Name, err)
				}
				return nil
			}
			if err := p.a.writeFile(j.hdr, j.h.fd, j.setgid, j.base, bytes.NewReader(j.data), buf, clear); err != nil {
				p.fail(err)
			}
		}
		j.h.release()
		p.jobs.Done()
	}
}

func (p *pool) fail(err error) {
	p.mu.Lock()
	if p.err == nil {
		p.err = err
	}
	p.mu.Unlock()
	p.failed.Store(true)
}

// failure returns the first job's error, if any.
func (p *pool) failure() error {
	if !p.failed.Load() {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// barrier waits for every dispatched job.
func (p *pool) barrier() error {
	p.jobs.Wait()
	clear(p.pending)
	clear(p.above)
	return p.failure()
}

// stop ends the workers, skipping jobs not started yet, and waits for them.
func (p *pool) stop() {
	p.fail(fmt.Errorf("layer extraction stopped"))
	for _, q := range p.qs {
		close(q)
	}
	p.exited.Wait()
}

// conflicts reports whether a pending job's path is p, above p or below p.
func (p *pool) conflicts(name string) bool {
	if len(p.pending) == 0 {
		return false
	}
	if p.pending[name] || p.above[name] {
		return true
	}
	for d := path.Dir(name); d != "."; d = path.Dir(d) {
		if p.pending[d] {
			return true
		}
	}
	return false
}

// ownPathOnly reports whether applying hdr touches nothing but its own
// path (and creates its parents): not a hard link (its target), whiteout
// or opaque marker (they remove), or unknown kind.
func ownPathOnly(hdr *tar.Header, base string) bool {
	if strings.HasPrefix(base, whiteoutPrefix) {
		return false
	}
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeDir, tar.TypeSymlink, tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		return true
	}
	return false
}

// dispatch reads a small file's content and hands it to the worker of its
// directory. p is its clean path, dir/base its split, parent the cached
// handle on dir.
func (a *applier) dispatch(hdr *tar.Header, p, dir string, parent int, base string, r io.Reader) error {
	data := make([]byte, hdr.Size)
	if _, err := io.ReadFull(r, data); err != nil {
		return fmt.Errorf("layer entry %q: reading content: %w", hdr.Name, err)
	}
	if !a.cache.holds(parent) {
		return fmt.Errorf("layer entry %q: parent handle is not the cached one", hdr.Name)
	}
	h := a.cache.h
	h.acquire()
	pl := a.pool
	pl.pending[p] = true
	for d := dir; d != "." && !pl.above[d]; d = path.Dir(d) {
		pl.above[d] = true
	}
	hc := *hdr
	pl.jobs.Add(1)
	pl.qs[hashDir(dir)%uint32(len(pl.qs))] <- fileJob{hdr: &hc, h: h, setgid: a.cache.setgid, base: base, data: data}
	return nil
}

func hashDir(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}
