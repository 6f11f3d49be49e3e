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

// mountFlag says whether an o= word is a mount flag (every other word is
// filesystem data, as mount(8) reads them), the flag, and whether the word
// clears it. A switch: a package-level map is built at every cais start.
func mountFlag(w string) (flag uintptr, clear, ok bool) {
	switch w {
	case "ro":
		return unix.MS_RDONLY, false, true
	case "rw":
		return unix.MS_RDONLY, true, true
	case "nosuid":
		return unix.MS_NOSUID, false, true
	case "suid":
		return unix.MS_NOSUID, true, true
	case "nodev":
		return unix.MS_NODEV, false, true
	case "dev":
		return unix.MS_NODEV, true, true
	case "noexec":
		return unix.MS_NOEXEC, false, true
	case "exec":
		return unix.MS_NOEXEC, true, true
	case "sync":
		return unix.MS_SYNCHRONOUS, false, true
	case "async":
		return unix.MS_SYNCHRONOUS, true, true
	case "noatime":
		return unix.MS_NOATIME, false, true
	case "atime":
		return unix.MS_NOATIME, true, true
	case "nodiratime":
		return unix.MS_NODIRATIME, false, true
	case "relatime":
		return unix.MS_RELATIME, false, true
	case "strictatime":
		return unix.MS_STRICTATIME, false, true
	case "bind":
		return unix.MS_BIND, false, true
	case "rbind":
		return unix.MS_BIND | unix.MS_REC, false, true
	}
	return 0, false, false
}

func parseMountOptions(o string) (uintptr, string) {
	var flags uintptr
	var data []string
	for _, w := range strings.Split(o, ",") {
		if w == "" || w == "defaults" {
			continue
		}
		if f, clear, ok := mountFlag(w); ok {
			if clear {
				flags &^= f
			} else {
				flags |= f
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
