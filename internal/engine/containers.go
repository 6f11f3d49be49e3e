package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/cais-project/cais/internal/engine/monitor"
	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/fsutil"
)

// Container is the durable record of one container, one JSON file at
// <root>/containers/<id>/container.json, replaced atomically.
type Container struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Image   string    `json:"image"`   // what the user asked for
	ImageID string    `json:"imageId"` // "sha256:..."
	Command []string  `json:"command"` // the process args
	Created time.Time `json:"created"`
	// Runtime is the OCI runtime binary, RuntimeRoot its --root.
	Runtime     string `json:"runtime"`
	RuntimeRoot string `json:"runtimeRoot"`
	// SnapshotKey is the active snapshot holding the container's rootfs.
	SnapshotKey string `json:"snapshotKey"`
	AutoRemove  bool   `json:"autoRemove"`
	// OpenStdin: the container's stdin stays open for attach (run -i);
	// Tty: its process has a terminal (run -t).
	OpenStdin bool `json:"openStdin,omitempty"`
	Tty       bool `json:"tty,omitempty"`
	// DNS is what --dns, --add-host and the like asked for.
	DNS DNSOptions `json:"dns,omitzero"`
	// Settings are the create flags completed from the image (user,
	// workdir, entrypoint, stop signal); they hold the stop signal and
	// timeout and the labels. RestartPolicy is --restart's (or `cais
	// update --restart`'s); the next monitor spawned for the container
	// applies it.
	Settings      Settings              `json:"settings"`
	RestartPolicy monitor.RestartPolicy `json:"restartPolicy"`
	// Mounts are the volumes, binds and --mount tmpfs the container has
	// (container_volumes.go); nil in records from before they were kept.
	Mounts []MountRecord `json:"mounts"`
	// HostMounts and Tmpfs are the --mount and --tmpfs values in Docker's
	// HostConfig shapes, for inspect (container_hostmounts.go).
	HostMounts []HostMount       `json:"hostMounts,omitempty"`
	Tmpfs      map[string]string `json:"tmpfs,omitempty"`
	// Monitor is what the monitor does besides running it (RunOptions').
	Monitor MonitorOptions `json:"monitor,omitzero"`
	// Net is what the engine made for the container's networking.
	Net ContainerNet `json:"net,omitzero"`
}

func (e *Engine) containersDir() string { return filepath.Join(e.opts.Root, "containers") }
func (e *Engine) namesDir() string      { return filepath.Join(e.opts.Root, "container-names") }

// runDir holds a container's bundle, rootfs mount and monitor directory.
func (e *Engine) runDir(id string) string { return filepath.Join(e.opts.RunRoot, "containers", id) }

// monitorDir is short: it holds the monitor's unix socket, whose path is
// limited to 107 bytes.
func (e *Engine) monitorDir(id string) string { return filepath.Join(e.opts.RunRoot, "m", id[:16]) }

func (e *Engine) logPath(id string) string {
	return filepath.Join(e.containersDir(), id, "container.log")
}

// lockContainers serializes name reservation, record creation and removal
// between cais processes.
func (e *Engine) lockContainers() (func(), error) {
	if err := os.MkdirAll(e.opts.Root, 0o700); err != nil {
		return nil, err
	}
	return fileLock(filepath.Join(e.opts.Root, "containers.lock"), true)
}

func newContainerID() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("making a container ID: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// validName is Docker's rule for container names.
func validName(n string) bool {
	if n == "" || len(n) > 253 {
		return false
	}
	for i, c := range n {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if i > 0 {
			ok = ok || c == '_' || c == '.' || c == '-'
		}
		if !ok {
			return false
		}
	}
	return true
}

// reserve claims c.Name in the name index and writes c's record; the
// caller holds lockContainers.
func (e *Engine) reserve(c *Container) error {
	if err := os.MkdirAll(e.namesDir(), 0o700); err != nil {
		return fmt.Errorf("creating name index: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(e.namesDir(), c.Name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("container name %q is already in use: %w", c.Name, errdefs.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("reserving name %s: %w", c.Name, err)
	}
	_, werr := f.WriteString(c.ID)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = e.saveContainer(c)
	}
	if werr != nil {
		os.Remove(filepath.Join(e.namesDir(), c.Name))
		return fmt.Errorf("reserving name %s: %w", c.Name, werr)
	}
	return nil
}

func (e *Engine) saveContainer(c *Container) error {
	dir := filepath.Join(e.containersDir(), c.ID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating container dir: %w", err)
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, "container.json"), b)
}

// writeAtomic writes b to path through a synced temp file and a rename.
func writeAtomic(path string, b []byte) error { return fsutil.WriteFile(path, b, 0o600) }

func (e *Engine) loadContainer(id string) (*Container, error) {
	b, err := os.ReadFile(filepath.Join(e.containersDir(), id, "container.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no such container: %s: %w", id, errdefs.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	var c Container
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("reading container %s: %w", id, err)
	}
	return &c, nil
}

// listContainers reads every record, oldest first. Records being removed
// concurrently are skipped.
func (e *Engine) listContainers() ([]*Container, error) {
	ents, err := os.ReadDir(e.containersDir())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*Container
	for _, de := range ents {
		c, err := e.loadContainer(de.Name())
		if errors.Is(err, errdefs.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, nil
}

// FindContainer resolves a name, a full ID or a unique ID prefix.
func (e *Engine) FindContainer(ctx context.Context, s string) (*Container, error) {
	if s == "" {
		return nil, fmt.Errorf("empty container name: %w", errdefs.ErrInvalidArgument)
	}
	if validName(s) {
		if b, err := os.ReadFile(filepath.Join(e.namesDir(), s)); err == nil {
			if c, err := e.loadContainer(string(b)); err == nil {
				return c, nil
			}
		}
	}
	all, err := e.listContainers()
	if err != nil {
		return nil, err
	}
	var found []*Container
	for _, c := range all {
		if strings.HasPrefix(c.ID, s) {
			found = append(found, c)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return nil, fmt.Errorf("no such container: %s: %w", s, errdefs.ErrNotFound)
	}
	return nil, fmt.Errorf("%s matches %d containers: %w", s, len(found), errdefs.ErrInvalidArgument)
}
