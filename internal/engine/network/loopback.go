package network

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/containernetworking/cni/libcni"
)

// loopbackName is the network name of loopbackConf, which libcni's cache
// file names carry.
const loopbackName = "cais-loopback"

// pendingLoopback holds, by container ID, the result channel of a
// loopback ADD that Loopback started and nobody has waited for yet.
var pendingLoopback sync.Map

// Loopback starts bringing up lo in netns through the loopback plugin and
// returns: the ADD runs while the container's first Attach runs the
// network's plugins, and that Attach (or ReleaseLoopback) waits for it and
// reports its error.
func (s *Store) Loopback(ctx context.Context, containerID, netns string) error {
	cfg, err := s.cni()
	if err != nil {
		return err
	}
	c, err := libcni.NetworkPluginConfFromBytes([]byte(loopbackConf))
	if err != nil {
		return err
	}
	go forwardFilters() // the attach that follows needs it
	done := make(chan error, 1)
	rt := &libcni.RuntimeConf{ContainerID: containerID, NetNS: netns, IfName: "lo"}
	go func() {
		if _, err := cfg.AddNetwork(ctx, c, rt); err != nil {
			done <- fmt.Errorf("bringing up loopback: %w", err)
			return
		}
		done <- nil
	}()
	pendingLoopback.Store(containerID, done)
	return nil
}

// joinLoopback waits for the loopback ADD Loopback started for
// containerID, if one is pending, and returns its error.
func joinLoopback(containerID string) error {
	v, ok := pendingLoopback.LoadAndDelete(containerID)
	if !ok {
		return nil
	}
	return <-v.(chan error)
}

// ReleaseLoopback forgets libcni's cache entry for lo. The caller is about
// to destroy the namespace, and lo with it, so the plugin's DEL (a process
// that would only set lo down) is not run; the cache file is all that
// ADD left on the host.
func (s *Store) ReleaseLoopback(ctx context.Context, containerID, netns string) error {
	// An ADD still running would write the cache file after us; its
	// outcome no longer matters, lo going with the namespace.
	joinLoopback(containerID)
	p := filepath.Join(s.cacheDir(), "results", fmt.Sprintf("%s-%s-lo", loopbackName, containerID))
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("releasing loopback: %w", err)
	}
	return nil
}
