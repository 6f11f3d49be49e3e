package archive

import (
	"io"
	"os"
	"strconv"
	"strings"
)

// writerOnly hides os.File's ReadFrom, which would copy through a fresh
// 32 KiB buffer per file, so io.CopyBuffer uses the applier's buffer.
type writerOnly struct{ w io.Writer }

func (w writerOnly) Write(p []byte) (int, error) { return w.w.Write(p) }

// currentUmask reads the process's umask from /proc without changing it
// (umask(2) can only set it, racing with other threads). If it cannot be
// read, 0o777 makes every file take the explicit chmod.
func currentUmask() uint32 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0o777
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Umask:"); ok {
			if m, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32); err == nil {
				return uint32(m)
			}
		}
	}
	return 0o777
}
