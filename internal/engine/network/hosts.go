package network

import (
	"fmt"
	"os"
	"strings"
)

// HostsEntry is one line of a hosts file: an address and its names.
type HostsEntry struct {
	IP    string
	Names []string
}

// RenderHosts is a container's /etc/hosts: localhost, then its own
// entries, then its peers' on the networks it shares with them.
func RenderHosts(self []HostsEntry, peers []HostsEntry) string {
	var b strings.Builder
	b.WriteString("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
	for _, set := range [][]HostsEntry{self, peers} {
		for _, e := range set {
			if e.IP == "" || len(e.Names) == 0 {
				continue
			}
			fmt.Fprintf(&b, "%s\t%s\n", e.IP, strings.Join(e.Names, " "))
		}
	}
	return b.String()
}

// WriteInPlace replaces the content of path without replacing the file:
// it is bind-mounted into a container, which would keep seeing the old
// inode after a rename.
func WriteInPlace(path, content string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("rewriting %s: %w", path, err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte(content), 0); err != nil {
		return fmt.Errorf("rewriting %s: %w", path, err)
	}
	if err := f.Truncate(int64(len(content))); err != nil {
		return fmt.Errorf("rewriting %s: %w", path, err)
	}
	return nil
}
