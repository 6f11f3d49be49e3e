package testsuite

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/cais-project/cais/internal/mount"
	"golang.org/x/sys/unix"
)

// Mount mounts ms on target, in order, and returns a function that unmounts
// them; the same function also runs at the test's cleanup, so calling it
// early is optional. A test that cannot mount fails.
func Mount(t testing.TB, ms []mount.Mount, target string) (unmount func()) {
	t.Helper()
	var once sync.Once
	done := 0
	unmount = func() {
		once.Do(func() {
			for ; done > 0; done-- {
				if err := unix.Unmount(target, 0); err != nil {
					t.Errorf("unmounting %s: %v", target, err)
				}
			}
		})
	}
	t.Cleanup(unmount)
	for _, m := range ms {
		if err := mountOne(m, target); err != nil {
			t.Fatalf("mounting %s: %v", m, err)
		}
		done++
	}
	return unmount
}

func mountOne(m mount.Mount, target string) error {
	var flags uintptr
	var data []string
	bind := false
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
	if bind || m.Type == "bind" {
		if err := unix.Mount(m.Source, target, "", unix.MS_BIND|(flags&unix.MS_REC), ""); err != nil {
			return err
		}
		if flags&unix.MS_RDONLY != 0 {
			return unix.Mount("", target, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, "")
		}
		return nil
	}
	opts := strings.Join(data, ",")
	if len(opts) < os.Getpagesize() || m.Type != "overlay" {
		return unix.Mount(m.Source, target, m.Type, flags, opts)
	}
	return mountRelative(m, target, flags, data)
}

// mountRelative mounts an overlay whose options exceed a page: lowerdirs
// become paths relative to their common parent, and the mount runs on a
// thread that alone has that parent as working directory.
func mountRelative(m mount.Mount, target string, flags uintptr, data []string) error {
	var lower []string
	for i, o := range data {
		if l, ok := strings.CutPrefix(o, "lowerdir="); ok {
			lower = strings.Split(l, ":")
			data = append(data[:i:i], data[i+1:]...)
			break
		}
	}
	if len(lower) == 0 {
		return errors.New("options exceed a page and have no lowerdir to shorten")
	}
	base := filepath.Dir(lower[0])
	for _, l := range lower {
		for base != "/" && !strings.HasPrefix(l, base+"/") {
			base = filepath.Dir(base)
		}
	}
	for i, l := range lower {
		lower[i] = strings.TrimPrefix(l, base+"/")
	}
	opts := strings.Join(append(data, "lowerdir="+strings.Join(lower, ":")), ",")
	errc := make(chan error, 1)
	go func() {
		// The thread's fs state is changed and never restored: leaving it
		// locked makes the Go runtime end the thread with the goroutine.
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
