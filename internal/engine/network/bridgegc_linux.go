package network

import (
	"errors"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/fsutil"
)

// A network's bridge lives while containers are attached to it: the
// bridge plugin makes it on the first ADD, and the last DEL removes it
// (plugins never do), so no bridge, route, address or masquerade rule
// (masq_linux.go) outlives its users.
// Attaches hold the network's lock shared; the removal takes it
// exclusively without waiting, so it never races an attach in progress.

func (s *Store) netLock(n *Network, how int) (func(), bool, error) {
	dir := filepath.Join(s.RunRoot, "cni", "locks")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, err
	}
	p := filepath.Join(dir, n.ID)
	if how&unix.LOCK_NB != 0 {
		return fsutil.TryLock(p, how&unix.LOCK_EX != 0)
	}
	unlock, err := fsutil.Lock(p, how&unix.LOCK_EX != 0)
	return unlock, err == nil, err
}

// removeIdleBridge deletes n's bridge and its masquerade rule when nothing
// is plugged into it and no attach is in progress. A bridge that is absent
// (a first ADD that failed before making it) still has its rule removed.
func (s *Store) removeIdleBridge(n *Network) error {
	unlock, ok, err := s.netLock(n, unix.LOCK_EX|unix.LOCK_NB)
	if err != nil || !ok {
		return err
	}
	defer unlock()
	ports, err := os.ReadDir(filepath.Join("/sys/class/net", n.Bridge, "brif"))
	if err == nil && len(ports) > 0 {
		return nil
	}
	if err != nil {
		return removeMasq(n)
	}
	// Independent: the rule names the bridge only by its name.
	masq := make(chan error, 1)
	go func() { masq <- removeMasq(n) }()
	return errors.Join(deleteLink(n.Bridge), <-masq)
}
