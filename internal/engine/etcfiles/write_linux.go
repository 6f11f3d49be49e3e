package etcfiles

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// WriteInPlace replaces the contents of the file at path (creating it,
// mode 0644, when missing) without replacing its inode, so a bind mount
// of it into a running container sees the new contents. Writers take an
// exclusive flock on the file, so concurrent cais processes serialize.
// The whole buffer goes in one write at offset 0 and the file is
// truncated after it: a reader sees the old contents, the new ones, or
// for the instant between the two calls the new ones followed by the old
// tail; never an empty or half-written head.
func WriteInPlace(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0o644)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer f.Close()
	fd := int(f.Fd())
	for {
		err = unix.Flock(fd, unix.LOCK_EX)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("locking %s: %w", path, err)
	}
	// Closing the file releases the lock.
	if _, err := f.WriteAt(data, 0); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Truncate(int64(len(data))); err != nil {
		return fmt.Errorf("truncating %s: %w", path, err)
	}
	return nil
}
