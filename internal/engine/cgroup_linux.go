package engine

import "golang.org/x/sys/unix"

// cgroupVersion is "2" when mountpoint holds a cgroup2 file system, else
// "1" (a v1 or hybrid host).
func cgroupVersion(mountpoint string) string {
	var st unix.Statfs_t
	if err := unix.Statfs(mountpoint, &st); err == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		return "2"
	}
	return "1"
}
