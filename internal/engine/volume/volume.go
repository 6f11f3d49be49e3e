package volume

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"sync"
	"time"

	"github.com/cais-project/cais/internal/errdefs"

	"github.com/cais-project/cais/internal/fsutil"
)

// LabelAnonymous marks a volume made for one container (-v /path, --mount
// without a source, an image's VOLUME), as Docker 23+ labels them; `volume
// prune` without --all removes only these, `rm -v` and --rm remove them
// with their container.
const LabelAnonymous = "com.docker.volume.anonymous"

// DriverLocal is the only driver: data on this host.
const DriverLocal = "local"

// Volume is one volume's metadata, <root>/<name>/volume.json.
type Volume struct {
	Name       string            `json:"name"`
	Driver     string            `json:"driver"`
	Labels     map[string]string `json:"labels,omitempty"`
	Options    map[string]string `json:"options,omitempty"`
	CreatedAt  time.Time         `json:"createdAt"`
	Mountpoint string            `json:"mountpoint"`
	// Populated is set once a container has used the volume: from then
	// on it is never filled from an image again, even when empty.
	Populated bool `json:"populated,omitempty"`
}

// Anonymous reports whether v was made for one container.
func (v Volume) Anonymous() bool {
	_, ok := v.Labels[LabelAnonymous]
	return ok
}

// CreateOptions are what `volume create` asks for.
type CreateOptions struct {
	Name    string // empty: a random 64-hex name
	Driver  string // empty or "local"
	Labels  map[string]string
	Options map[string]string // local driver: type, device, o
}

// Store is a directory of volumes. It holds no open files: every call
// locks, acts and unlocks.
type Store struct{ root string }

// New returns the store rooted at root (created on first write).
func New(root string) *Store { return &Store{root: root} }

// nameRE is compiled on first use: every cais start links this package,
// few check a volume name.
var nameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`) })

// ValidateName checks Docker's rule for local volume names.
func ValidateName(name string) error {
	if !nameRE().MatchString(name) || len(name) > 255 {
		return fmt.Errorf("%q includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed; if you intended to pass a host directory, use an absolute path: %w",
			name, errdefs.ErrInvalidArgument)
	}
	return nil
}

// validateOptions checks the local driver's options as Docker does: only
// type, device and o, and a filesystem needs both type and device.
func validateOptions(opts map[string]string) error {
	for k := range opts {
		switch k {
		case "type", "device", "o":
		default:
			return fmt.Errorf("invalid option key %q for the local volume driver (want type, device or o): %w", k, errdefs.ErrInvalidArgument)
		}
	}
	if (opts["type"] == "") != (opts["device"] == "") {
		return fmt.Errorf("local volume options: type and device must be given together: %w", errdefs.ErrInvalidArgument)
	}
	if opts["o"] != "" && opts["type"] == "" {
		return fmt.Errorf("local volume option o=%s needs type and device: %w", opts["o"], errdefs.ErrInvalidArgument)
	}
	return nil
}

// Validate checks o without creating anything.
func Validate(o CreateOptions) error {
	if o.Driver != "" && o.Driver != DriverLocal {
		return fmt.Errorf("volume driver %q: only %q is available: %w", o.Driver, DriverLocal, errdefs.ErrNotFound)
	}
	if o.Name != "" {
		if err := ValidateName(o.Name); err != nil {
			return err
		}
	}
	return validateOptions(o.Options)
}

// RandomName is a 64-hex name, as Docker gives unnamed volumes.
func RandomName() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("making a volume name: %w", err)
	}
	return hex.EncodeToString(b), nil
}

func (s *Store) dir(name string) string     { return filepath.Join(s.root, name) }
func (s *Store) dataDir(name string) string { return filepath.Join(s.root, name, "_data") }

func (s *Store) lock() (func(), error) {
	if err := os.MkdirAll(s.root, 0o701); err != nil {
		return nil, fmt.Errorf("creating volume store: %w", err)
	}
	return flock(filepath.Join(s.root, ".lock"))
}

// Create makes a volume, or returns the existing one of that name (as
// Docker does; created says which).
func (s *Store) Create(o CreateOptions) (v Volume, created bool, err error) {
	if err := Validate(o); err != nil {
		return Volume{}, false, err
	}
	if o.Name == "" {
		if o.Name, err = RandomName(); err != nil {
			return Volume{}, false, err
		}
	}
	unlock, err := s.lock()
	if err != nil {
		return Volume{}, false, err
	}
	defer unlock()
	if v, err := s.load(o.Name); err == nil {
		return v, false, nil
	} else if !errors.Is(err, errdefs.ErrNotFound) {
		return Volume{}, false, err
	}
	v = Volume{
		Name: o.Name, Driver: DriverLocal, Labels: copyMap(o.Labels), Options: copyMap(o.Options),
		CreatedAt: time.Now().UTC().Truncate(time.Second), Mountpoint: s.dataDir(o.Name),
	}
	if err := os.Mkdir(s.dir(o.Name), 0o701); err != nil {
		return Volume{}, false, fmt.Errorf("creating volume %s: %w", o.Name, err)
	}
	err = os.Mkdir(v.Mountpoint, 0o755)
	if err == nil {
		err = s.save(v)
	}
	if err != nil {
		os.RemoveAll(s.dir(o.Name))
		return Volume{}, false, fmt.Errorf("creating volume %s: %w", o.Name, err)
	}
	return v, true, nil
}

func copyMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Get returns the named volume.
func (s *Store) Get(name string) (Volume, error) { return s.load(name) }

func (s *Store) load(name string) (Volume, error) {
	if ValidateName(name) != nil {
		return Volume{}, fmt.Errorf("no such volume: %s: %w", name, errdefs.ErrNotFound)
	}
	b, err := os.ReadFile(filepath.Join(s.dir(name), "volume.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return Volume{}, fmt.Errorf("no such volume: %s: %w", name, errdefs.ErrNotFound)
	}
	if err != nil {
		return Volume{}, err
	}
	var v Volume
	if err := json.Unmarshal(b, &v); err != nil {
		return Volume{}, fmt.Errorf("reading volume %s: %w", name, err)
	}
	return v, nil
}

func (s *Store) save(v Volume) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return fsutil.WriteFile(filepath.Join(s.dir(v.Name), "volume.json"), b, 0o600)
}

// List returns every volume, by name.
func (s *Store) List() ([]Volume, error) {
	ents, err := os.ReadDir(s.root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Volume
	for _, de := range ents {
		if !de.IsDir() || ValidateName(de.Name()) != nil {
			continue
		}
		v, err := s.load(de.Name())
		if errors.Is(err, errdefs.ErrNotFound) {
			continue // being created or removed
		}
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Remove deletes a volume and its data. A volume whose mount a user still
// holds is refused with errdefs.ErrConflict; whether a container record
// still names it is the caller's check, made before.
func (s *Store) Remove(name string) error {
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	v, err := s.load(name)
	if err != nil {
		return err
	}
	if users := s.users(name); len(users) > 0 {
		return fmt.Errorf("volume %s is in use by %v: %w", name, users, errdefs.ErrConflict)
	}
	if err := unmountData(v.Mountpoint); err != nil {
		return err
	}
	// Rename first, so no one finds a half-removed volume.
	trash := filepath.Join(s.root, ".rm-"+name)
	os.RemoveAll(trash)
	if err := os.Rename(s.dir(name), trash); err != nil {
		return fmt.Errorf("removing volume %s: %w", name, err)
	}
	if err := os.RemoveAll(trash); err != nil {
		return fmt.Errorf("removing volume %s: %w", name, err)
	}
	return nil
}

// Size is the disk usage of the volume's data in bytes (0 when unknown).
func (s *Store) Size(name string) int64 {
	var n int64
	filepath.WalkDir(s.dataDir(name), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}
