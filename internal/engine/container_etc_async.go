package engine

import "os"

// etcWrite is writeEtcFiles running on its own goroutine.
type etcWrite struct {
	done  chan struct{}
	files [3]string
	err   error
}

// etcFilesAsync starts writing hosts, resolv.conf and hostname into dir
// (creating dir) and returns at once. prepareRootfs starts it before the
// snapshot's Prepare, whose two bbolt commits wait on the disk, and
// collects the result with wait before the spec needs the paths. Every
// return path of prepareRootfs calls wait, so no write is still running
// when the caller's cleanup removes dir.
func etcFilesAsync(dir, hostname string, o RunOptions) *etcWrite {
	w := &etcWrite{done: make(chan struct{})}
	go func() {
		defer close(w.done)
		if w.err = os.MkdirAll(dir, 0o700); w.err == nil {
			w.files, w.err = writeEtcFiles(dir, hostname, o)
		}
	}()
	return w
}

// wait returns the files' paths (hosts, resolv.conf, hostname) once they
// are written.
func (w *etcWrite) wait() ([3]string, error) {
	<-w.done
	return w.files, w.err
}
