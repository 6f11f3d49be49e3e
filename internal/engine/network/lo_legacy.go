package network

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// legacyLoopbackName is the network name under which cais once ran the
// loopback plugin for every container; libcni's cache file of that ADD
// carries it.
const legacyLoopbackName = "cais-loopback"

// ForgetLegacyLoopback removes the libcni cache file that the loopback
// plugin's ADD left for a container created before lo was brought up
// natively (lo_linux.go). Its DEL was never run (lo dies with the
// namespace), so the file is all there is; for other containers there is
// nothing to remove.
func (s *Store) ForgetLegacyLoopback(containerID string) error {
	p := filepath.Join(s.cacheDir(), "results", fmt.Sprintf("%s-%s-lo", legacyLoopbackName, containerID))
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing the loopback plugin's cache file: %w", err)
	}
	return nil
}
