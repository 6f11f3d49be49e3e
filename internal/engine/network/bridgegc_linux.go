package network

import (
	"errors"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/fsutil"
)

// A network's bridge lives as long as the network, as Docker's docker0
// and its user networks' bridges do: the bridge plugin makes it on the
// first ADD, later containers find it there, the last DEL leaves it, and
// `network rm`/`network prune` (Store.Remove) delete it with its
// masquerade rule (masq_linux.go). The default network cannot be removed,
// so its bridge stays. Deleting the bridge on the last DEL cost a lone
// `run --rm` about 60 ms (the plugin making it, ~40 ms of RTM_DELLINK).
//
// One exception: a failed first ADD can leave a bridge with no address
// (its subnet then unclaimed on the host), which the next attach would
// take as claimed. Attaches hold the network's lock shared; removing that
// bridge takes it exclusively without waiting, so it never races an attach
// in progress, and only while no port is plugged in.

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

// removeFailedBridge deletes n's bridge and its masquerade rule after an
// attach that found no bridge failed, unless a port is plugged in or an
// attach is in progress. A bridge that is absent still has its rule
// removed.
func (s *Store) removeFailedBridge(n *Network) error {
	unlock, ok, err := s.netLock(n, unix.LOCK_EX|unix.LOCK_NB)
	if err != nil || !ok {
		return err
	}
	defer unlock()
	busy, err := linkHasPorts(n.Bridge)
	if err != nil || busy {
		return err
	}
	return s.removeBridge(n)
}

// removeBridge deletes n's bridge and masquerade rule, at once: the rule
// names the bridge only by its name.
func (s *Store) removeBridge(n *Network) error {
	masq := make(chan error, 1)
	go func() { masq <- removeMasq(n) }()
	return errors.Join(deleteLink(n.Bridge), <-masq)
}
