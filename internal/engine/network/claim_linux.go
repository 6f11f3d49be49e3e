package network

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// Separate roots (two engines, or test binaries running at once) cannot
// see each other's records, only the routes their bridges add. A subnet
// chosen while no bridge was up may therefore have been taken since by
// another root's bridge. So the first attach of a network whose bridge is
// absent re-checks the host's routes, and chooses again if cais chose the
// subnet; it does so under a host-wide lock held until the ADD has made
// the bridge (and its route). The lock is an abstract unix socket bound
// exclusively: it needs no file, and dies with its holder.
const claimSocket = "@cais-network-subnet-claim"

func hostLock() (func(), error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return nil, err
		}
		err = unix.Bind(fd, &unix.SockaddrUnix{Name: claimSocket})
		if err == nil {
			return func() { unix.Close(fd) }, nil
		}
		unix.Close(fd)
		if !errors.Is(err, unix.EADDRINUSE) {
			return nil, fmt.Errorf("taking the subnet claim lock: %w", err)
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("taking the subnet claim lock: still held after 30s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// claimSubnet is called before an ADD. When n's bridge exists it returns
// at once (nothing to claim). Otherwise it takes the host-wide lock,
// checks n's subnet against the host's routes, chooses again when it
// overlaps and cais chose it (a --subnet given by the user is kept), and
// returns the lock's release, to be called once the ADD is done, and
// fresh: the bridge was absent, so this ADD makes it.
//
// n is reloaded from its record either way: another process may have
// chosen again since the caller read it. The bridge is looked up over
// rtnetlink in the caller's network namespace (link_linux.go).
func (s *Store) claimSubnet(n *Network) (release func(), fresh bool, err error) {
	reload := func() {
		if cur, err := s.Get(n.ID); err == nil {
			*n = *cur
		}
	}
	if linkExists(n.Bridge) {
		reload()
		return func() {}, false, nil
	}
	if release, err = hostLock(); err != nil {
		return nil, false, err
	}
	reload()
	if linkExists(n.Bridge) { // made while this waited for the lock
		return release, false, nil
	}
	release, err = s.reclaim(n, release)
	return release, err == nil, err
}

// reclaim chooses n's subnet again if the host's routes now overlap it and
// cais chose it; it releases the host lock on failure.
func (s *Store) reclaim(n *Network, release func()) (func(), error) {
	cur, err := netip.ParsePrefix(n.IPAM.Subnet)
	if err != nil || !n.SubnetChosen {
		return release, nil
	}
	routes, err := s.routes()
	if err != nil {
		release()
		return nil, err
	}
	busy := false
	for _, r := range routes {
		if r.Bits() > 0 && r.Overlaps(cur) {
			busy = true
		}
	}
	if !busy {
		return release, nil
	}
	unlock, err := s.lock()
	if err != nil {
		release()
		return nil, err
	}
	defer unlock()
	all, err := s.List()
	if err != nil {
		release()
		return nil, err
	}
	used := routes
	for _, o := range all {
		if p, err := netip.ParsePrefix(o.IPAM.Subnet); err == nil && o.ID != n.ID {
			used = append(used, p)
		}
	}
	p, ok := ChooseSubnet(used)
	if !ok {
		release()
		return nil, fmt.Errorf("network %s: its subnet %s is now in use on the host and no other is free", n.Name, cur)
	}
	n.IPAM.Subnet, n.IPAM.Gateway = p.String(), p.Addr().Next().String()
	if err := s.save(n); err != nil {
		release()
		return nil, err
	}
	return release, nil
}
