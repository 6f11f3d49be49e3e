package mount

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// All performs ms on target, in order, undoing what it did when one fails.
// An overlay whose options exceed a page (a deep layer chain) is mounted
// with lowerdirs relative to their common parent, from a thread whose
// working directory alone is that parent.
func All(ms []Mount, target string) error {
	for i, m := range ms {
		if err := mountOne(m, target); err != nil {
			for ; i > 0; i-- {
				unix.Unmount(target, unix.MNT_DETACH)
			}
			return fmt.Errorf("mounting %s on %s: %w", m.Type, target, err)
		}
	}
	return nil
}

func mountOne(m Mount, target string) error {
	var flags uintptr
	var data []string
	bind := m.Type == "bind"
	for _, o := range m.Options {
		switch o {
		case "ro":
			flags |= unix.MS_RDONLY
		case "rw":
		case "bind":
			bind = true
		case "rbind":
			bind, flags = true, flags|unix.MS_REC
		default:
			data = append(data, o)
		}
	}
	if bind {
		if err := unix.Mount(m.Source, target, "", unix.MS_BIND|(flags&unix.MS_REC), ""); err != nil {
			return err
		}
		if flags&unix.MS_RDONLY != 0 {
			return unix.Mount("", target, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, "")
		}
		return nil
	}
	opts := strings.Join(data, ",")
	if m.Type != "overlay" || len(opts) < os.Getpagesize() {
		return unix.Mount(m.Source, target, m.Type, flags, opts)
	}
	return mountOverlayRelative(m, target, flags, data)
}

func mountOverlayRelative(m Mount, target string, flags uintptr, data []string) error {
	var lower []string
	rest := make([]string, 0, len(data))
	for _, o := range data {
		if l, ok := strings.CutPrefix(o, "lowerdir="); ok && lower == nil {
			lower = strings.Split(l, ":")
			continue
		}
		rest = append(rest, o)
	}
	if len(lower) == 0 {
		return errors.New("overlay options exceed a page and have no lowerdir")
	}
	base := filepath.Dir(lower[0])
	for _, l := range lower {
		for base != "/" && !strings.HasPrefix(l, base+"/") {
			base = filepath.Dir(base)
		}
	}
	rel := make([]string, len(lower))
	for i, l := range lower {
		rel[i] = strings.TrimPrefix(l, base+"/")
	}
	opts := strings.Join(append(rest, "lowerdir="+strings.Join(rel, ":")), ",")
	errc := make(chan error, 1)
	go func() {
		// This thread's cwd is changed for good; staying locked makes the
		// Go runtime retire the thread with the goroutine.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_FS); err != nil {
			errc <- fmt.Errorf("unshare(CLONE_FS): %w", err)
			return
		}
		if err := unix.Chdir(base); err != nil {
			errc <- fmt.Errorf("chdir %s: %w", base, err)
			return
		}
		errc <- unix.Mount(m.Source, target, m.Type, flags, opts)
	}()
	return <-errc
}

// UnmountAll unmounts everything stacked at target (nothing mounted is
// fine).
func UnmountAll(target string) error {
	for {
		err := unix.Unmount(target, unix.MNT_DETACH)
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("unmounting %s: %w", target, err)
		}
	}
}
