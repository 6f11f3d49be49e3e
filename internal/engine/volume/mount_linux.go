package volume

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/errdefs"
)

func (s *Store) usersDir(name string) string { return filepath.Join(s.dir(name), "users") }

// users are the ids that hold the volume's mount.
func (s *Store) users(name string) []string {
	ents, _ := os.ReadDir(s.usersDir(name))
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// Acquire records user (a container ID) as using the volume and, for a
// volume with a filesystem of its own (--opt type=…,device=…), mounts it
// on the volume's data directory if that is not mounted yet.
func (s *Store) Acquire(name, user string) (Volume, error) {
	unlock, err := s.lock()
	if err != nil {
		return Volume{}, err
	}
	defer unlock()
	v, err := s.load(name)
	if err != nil {
		return Volume{}, err
	}
	if v.Options["type"] == "" {
		return v, nil
	}
	if err := os.MkdirAll(s.usersDir(name), 0o700); err != nil {
		return Volume{}, err
	}
	if err := os.WriteFile(filepath.Join(s.usersDir(name), user), nil, 0o600); err != nil {
		return Volume{}, err
	}
	mounted, err := mountinfo.Mounted(v.Mountpoint)
	if err == nil && !mounted {
		err = mountData(v)
		if err == nil && v.Populated {
			// A fresh filesystem (a tmpfs) has lost what it was filled
			// with: the next user fills it again.
			v.Populated = false
			err = s.save(v)
		}
	}
	if err != nil {
		os.Remove(filepath.Join(s.usersDir(name), user))
		return Volume{}, fmt.Errorf("mounting volume %s: %w", name, err)
	}
	return v, nil
}

// Release forgets user; when it was the last one the volume's own
// filesystem is unmounted. Releasing what is gone succeeds.
func (s *Store) Release(name, user string) error {
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	v, err := s.load(name)
	if errors.Is(err, errdefs.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(s.usersDir(name), user)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if len(s.users(name)) > 0 {
		return nil
	}
	return unmountData(v.Mountpoint)
}

// unmountData unmounts whatever is mounted on the data directory.
func unmountData(p string) error {
	for {
		mounted, err := mountinfo.Mounted(p)
		if errors.Is(err, fs.ErrNotExist) || err == nil && !mounted {
			return nil
		}
		if err != nil {
			return err
		}
		if err := unix.Unmount(p, unix.MNT_DETACH); err != nil {
			return fmt.Errorf("unmounting %s: %w", p, err)
		}
	}
}

// mountFlags are the o= words that are mount flags; every other word is
// filesystem data, as mount(8) reads them.
var mountFlags = map[string]struct {
	clear bool
	flag  uintptr
}{
	"ro": {false, unix.MS_RDONLY}, "rw": {true, unix.MS_RDONLY},
	"nosuid": {false, unix.MS_NOSUID}, "suid": {true, unix.MS_NOSUID},
	"nodev": {false, unix.MS_NODEV}, "dev": {true, unix.MS_NODEV},
	"noexec": {false, unix.MS_NOEXEC}, "exec": {true, unix.MS_NOEXEC},
	"sync": {false, unix.MS_SYNCHRONOUS}, "async": {true, unix.MS_SYNCHRONOUS},
	"noatime": {false, unix.MS_NOATIME}, "atime": {true, unix.MS_NOATIME},
	"nodiratime": {false, unix.MS_NODIRATIME}, "relatime": {false, unix.MS_RELATIME},
	"strictatime": {false, unix.MS_STRICTATIME},
	"bind":        {false, unix.MS_BIND}, "rbind": {false, unix.MS_BIND | unix.MS_REC},
}

func parseMountOptions(o string) (uintptr, string) {
	var flags uintptr
	var data []string
	for _, w := range strings.Split(o, ",") {
		if w == "" || w == "defaults" {
			continue
		}
		if f, ok := mountFlags[w]; ok {
			if f.clear {
				flags &^= f.flag
			} else {
				flags |= f.flag
			}
			continue
		}
		data = append(data, w)
	}
	return flags, strings.Join(data, ",")
}

func mountData(v Volume) error {
	flags, data := parseMountOptions(v.Options["o"])
	typ := v.Options["type"]
	if typ == "none" {
		typ = ""
	}
	if err := unix.Mount(v.Options["device"], v.Mountpoint, typ, flags, data); err != nil {
		return fmt.Errorf("mount -t %s -o %q %s: %w", v.Options["type"], v.Options["o"], v.Options["device"], err)
	}
	return nil
}
