package specgen

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/cais-project/cais/internal/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// maskedPaths and readonlyPaths are Docker's, for unprivileged containers.
var (
	maskedPaths = []string{
		"/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore",
		"/proc/keys", "/proc/latency_stats", "/proc/timer_list",
		"/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
		"/sys/firmware", "/sys/devices/virtual/powercap",
	}
	readonlyPaths = []string{
		"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
	}
)

// defaultShmSize is /dev/shm's size when Options.ShmSize is 0: 64 MiB.
const defaultShmSize = 64 << 20

// mounts returns Docker's default mounts, less those the user's mounts
// replace, then the user's mounts, tmpfs mounts and the /etc files,
// ordered so that a parent directory is mounted before what lies under it.
func mounts(o Options) ([]specs.Mount, error) {
	shm := o.ShmSize
	if shm == 0 {
		shm = defaultShmSize
	}
	if shm < 0 {
		return nil, fmt.Errorf("shm size %d: must be positive: %w", shm, errdefs.ErrInvalidArgument)
	}
	sysOpt := "ro"
	if o.Privileged {
		sysOpt = "rw"
	}
	defaults := []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
		{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", sysOpt}},
		{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"nosuid", "noexec", "nodev", "relatime", sysOpt}},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=" + strconv.FormatInt(shm, 10)}},
	}

	var extra []specs.Mount
	for _, m := range o.Mounts {
		if !path.IsAbs(m.Destination) {
			return nil, fmt.Errorf("mount destination %q: not an absolute path: %w", m.Destination, errdefs.ErrInvalidArgument)
		}
		m.Destination = path.Clean(m.Destination)
		extra = append(extra, m)
	}
	tmpfsDests := make([]string, 0, len(o.Tmpfs))
	for d := range o.Tmpfs {
		tmpfsDests = append(tmpfsDests, d)
	}
	slices.Sort(tmpfsDests)
	for _, d := range tmpfsDests {
		if !path.IsAbs(d) {
			return nil, fmt.Errorf("tmpfs destination %q: not an absolute path: %w", d, errdefs.ErrInvalidArgument)
		}
		extra = append(extra, specs.Mount{Destination: path.Clean(d), Type: "tmpfs", Source: "tmpfs", Options: tmpfsOptions(o.Tmpfs[d])})
	}
	etc := []struct{ src, dst string }{
		{o.ResolvConfPath, "/etc/resolv.conf"},
		{o.HostnamePath, "/etc/hostname"},
		{o.HostsPath, "/etc/hosts"},
	}
	for _, f := range etc {
		if f.src == "" || slices.ContainsFunc(extra, func(m specs.Mount) bool { return m.Destination == f.dst }) {
			continue
		}
		opts := []string{"rbind", "rprivate"}
		if o.ReadOnly {
			opts = append(opts, "ro")
		}
		extra = append(extra, specs.Mount{Destination: f.dst, Type: "bind", Source: f.src, Options: opts})
	}

	var out []specs.Mount
	for _, d := range defaults {
		replaced := slices.ContainsFunc(extra, func(m specs.Mount) bool {
			// A user mount at or above /dev replaces the /dev mounts.
			return m.Destination == d.Destination || (m.Destination == "/dev" && strings.HasPrefix(d.Destination, "/dev/"))
		})
		if !replaced {
			out = append(out, d)
		}
	}
	slices.SortStableFunc(extra, func(a, b specs.Mount) int { return depth(a.Destination) - depth(b.Destination) })
	return append(out, extra...), nil
}

func depth(p string) int {
	if p == "/" {
		return 0
	}
	return strings.Count(p, "/")
}

// tmpfsOptions are Docker's tmpfs defaults (noexec, nosuid, nodev) with
// the user's options, an explicit exec, suid or dev replacing its default.
func tmpfsOptions(user string) []string {
	opts := []string{"noexec", "nosuid", "nodev"}
	opposite := map[string]string{"exec": "noexec", "suid": "nosuid", "dev": "nodev"}
	for _, u := range strings.Split(user, ",") {
		u = strings.TrimSpace(u)
		if u == "" || slices.Contains(opts, u) {
			continue
		}
		if def, ok := opposite[u]; ok {
			opts = slices.DeleteFunc(opts, func(o string) bool { return o == def })
		}
		opts = append(opts, u)
	}
	return opts
}
