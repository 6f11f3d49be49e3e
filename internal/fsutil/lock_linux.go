package fsutil

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Lock takes a flock on path (created 0600 if needed), exclusive or
// shared, waiting for it. The returned func releases it.
func Lock(path string, exclusive bool) (func(), error) {
	unlock, _, err := lock(path, exclusive, false)
	return unlock, err
}

// TryLock is Lock without waiting: ok is false, and nothing is held, when
// another open file holds a conflicting lock.
func TryLock(path string, exclusive bool) (unlock func(), ok bool, err error) {
	return lock(path, exclusive, true)
}

func lock(path string, exclusive, try bool) (func(), bool, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("opening lock %s: %w", path, err)
	}
	how := unix.LOCK_SH
	if exclusive {
		how = unix.LOCK_EX
	}
	if try {
		how |= unix.LOCK_NB
	}
	for {
		err = unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if try && errors.Is(err, unix.EWOULDBLOCK) {
		f.Close()
		return nil, false, nil
	}
	if err != nil {
		f.Close()
		return nil, false, fmt.Errorf("locking %s: %w", path, err)
	}
	return func() { f.Close() }, true, nil
}
