package container

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/errdefs"
)

// NotifyOOM returns a channel that receives a value each time the kernel's
// OOM killer acts in the container's memory cgroup. The channel is closed
// when ctx is done or the cgroup is removed. On cgroup v1 it listens with
// an eventfd registered on memory.oom_control; on v2 it watches
// memory.events with inotify and reports increases of oom_kill.
func (c *Container) NotifyOOM(ctx context.Context) (<-chan struct{}, error) {
	m, err := c.cgroup()
	if err != nil {
		return nil, err
	}
	dir := m.Path("memory")
	if dir == "" {
		return nil, fmt.Errorf("oom notifications need the memory controller, which is not mounted: %w", errdefs.ErrUnavailable)
	}
	if m.Version() == 1 {
		return notifyOOMv1(ctx, dir)
	}
	return notifyOOMv2(ctx, dir)
}

// notifyOOMv1 registers an eventfd for memory.oom_control in
// cgroup.event_control. The eventfd also fires when the cgroup is removed,
// which is told apart by the control file being gone.
func notifyOOMv1(ctx context.Context, dir string) (<-chan struct{}, error) {
	ctl, err := os.Open(filepath.Join(dir, "memory.oom_control"))
	if err != nil {
		return nil, fmt.Errorf("oom notifications: %w", err)
	}
	defer ctl.Close()
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("oom notifications: eventfd: %w", err)
	}
	// Non-blocking, so reads go through the runtime poller and Close
	// wakes a pending one.
	ev := os.NewFile(uintptr(efd), "oom-eventfd")
	reg := strconv.Itoa(efd) + " " + strconv.Itoa(int(ctl.Fd()))
	if err := os.WriteFile(filepath.Join(dir, "cgroup.event_control"), []byte(reg), 0); err != nil {
		ev.Close()
		return nil, fmt.Errorf("oom notifications: registering with cgroup.event_control: %w", err)
	}
	ch := make(chan struct{}, 1)
	stop := context.AfterFunc(ctx, func() { ev.Close() })
	go func() {
		defer close(ch)
		defer stop()
		defer ev.Close()
		buf := make([]byte, 8)
		for {
			if _, err := ev.Read(buf); err != nil {
				return
			}
			if binary.NativeEndian.Uint64(buf) == 0 {
				continue
			}
			if _, err := os.Lstat(filepath.Join(dir, "memory.oom_control")); err != nil {
				return // the cgroup is gone
			}
			select {
			case ch <- struct{}{}:
			default: // one pending notice is enough
			}
		}
	}()
	return ch, nil
}

// notifyOOMv2 watches memory.events, which the kernel marks modified when
// a counter changes, and reports each increase of oom_kill.
func notifyOOMv2(ctx context.Context, dir string) (<-chan struct{}, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("oom notifications: inotify: %w", err)
	}
	in := os.NewFile(uintptr(fd), "oom-inotify")
	eventsPath := filepath.Join(dir, "memory.events")
	if _, err := unix.InotifyAddWatch(fd, eventsPath, unix.IN_MODIFY|unix.IN_DELETE_SELF); err != nil {
		in.Close()
		return nil, fmt.Errorf("oom notifications: watching %s: %w", eventsPath, err)
	}
	last, err := oomKills(eventsPath)
	if err != nil {
		in.Close()
		return nil, err
	}
	ch := make(chan struct{}, 1)
	stop := context.AfterFunc(ctx, func() { in.Close() })
	go func() {
		defer close(ch)
		defer stop()
		defer in.Close()
		buf := make([]byte, 4096)
		for {
			if _, err := in.Read(buf); err != nil {
				return
			}
			n, err := oomKills(eventsPath)
			if err != nil {
				return // the cgroup is gone
			}
			if n > last {
				select {
				case ch <- struct{}{}:
				default:
				}
			}
			last = n
		}
	}()
	return ch, nil
}

// oomKills returns the oom_kill counter of a memory.events file.
func oomKills(path string) (uint64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "oom_kill "); ok {
			return strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, errors.New(path + ": no oom_kill counter")
}
