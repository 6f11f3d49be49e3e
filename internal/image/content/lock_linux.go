package content

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/errdefs"
)

// lockFile takes an exclusive, non-blocking flock on path (creating it),
// and makes sure the locked file is still the one at path: a writer that
// commits removes its ingest directory while holding the lock, so a file
// locked after that removal is an orphan and locking is retried.
func lockFile(path string) (*os.File, error) {
	for attempt := 0; attempt < 10; attempt++ {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			return nil, fmt.Errorf("opening lock: %w", err)
		}
		if err := flock(f, unix.LOCK_EX|unix.LOCK_NB); err != nil {
			f.Close()
			if errors.Is(err, unix.EWOULDBLOCK) {
				return nil, fmt.Errorf("locked by another writer: %w", errdefs.ErrUnavailable)
			}
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		var held, now unix.Stat_t
		if err := unix.Fstat(int(f.Fd()), &held); err != nil {
			f.Close()
			return nil, fmt.Errorf("fstat lock: %w", err)
		}
		if err := unix.Stat(path, &now); err == nil && now.Dev == held.Dev && now.Ino == held.Ino {
			return f, nil
		}
		f.Close() // orphaned by a committing writer; the directory is gone or new
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("recreating ingest dir: %w", err)
		}
	}
	return nil, fmt.Errorf("lock %s keeps being replaced: %w", path, errdefs.ErrUnavailable)
}

func flock(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		if err != unix.EINTR {
			return err
		}
	}
}
