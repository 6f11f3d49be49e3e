package network

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/cais-project/cais/internal/errdefs"

	"github.com/cais-project/cais/internal/fsutil"
)

// DefaultName is the network containers join when they name none.
const DefaultName = "bridge"

// Network is the durable record of one network,
// <root>/networks/<id>.json, in Docker's shape.
type Network struct {
	Name     string            `json:"Name"`
	ID       string            `json:"Id"`
	Created  time.Time         `json:"Created"`
	Driver   string            `json:"Driver"`
	Internal bool              `json:"Internal"`
	Labels   map[string]string `json:"Labels"`
	IPAM     IPAM              `json:"IPAM"`
	// Bridge is the host's bridge device for the network.
	Bridge string `json:"Bridge"`
	// SubnetChosen: cais chose the subnet (no --subnet), so it may choose
	// again before the bridge exists (see claimSubnet).
	SubnetChosen bool `json:"SubnetChosen,omitempty"`
}

// IPAM is the network's single IPv4 pool.
type IPAM struct {
	Subnet  string `json:"Subnet"`
	Gateway string `json:"Gateway"`
	IPRange string `json:"IPRange,omitempty"`
}

// CreateOptions are what `cais network create` asks for.
type CreateOptions struct {
	Name     string
	Driver   string // "" or "bridge"
	Subnet   string
	Gateway  string
	IPRange  string
	Internal bool
	Labels   map[string]string
}

// Store keeps network records and the state CNI needs.
type Store struct {
	// Root holds the records; RunRoot the IPAM allocations, libcni's cache
	// and the network namespace files.
	Root, RunRoot string
	// CNIPath lists the directories searched for plugins.
	CNIPath []string
	// HostRoutes returns the host's IPv4 routes; nil reads the kernel's.
	HostRoutes func() ([]netip.Prefix, error)
}

// DefaultCNIPath is where Debian and the upstream release put the plugins.
var DefaultCNIPath = []string{"/usr/lib/cni", "/opt/cni/bin"}

func (s *Store) dir() string { return filepath.Join(s.Root, "networks") }

// lock serializes record changes and subnet choices between processes.
func (s *Store) lock() (func(), error) {
	if err := os.MkdirAll(s.dir(), 0o700); err != nil {
		return nil, fmt.Errorf("creating network records: %w", err)
	}
	return fsutil.Lock(filepath.Join(s.dir(), ".lock"), true)
}

// List returns every network, by name.
func (s *Store) List() ([]*Network, error) {
	ents, err := os.ReadDir(s.dir())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*Network
	for _, de := range ents {
		if !strings.HasSuffix(de.Name(), ".json") || strings.HasPrefix(de.Name(), ".") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(s.dir(), de.Name()))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var n Network
		if err := json.Unmarshal(b, &n); err != nil {
			return nil, fmt.Errorf("reading network %s: %w", de.Name(), err)
		}
		out = append(out, &n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Get finds a network by name, full ID or unique ID prefix.
func (s *Store) Get(ref string) (*Network, error) {
	all, err := s.List()
	if err != nil {
		return nil, err
	}
	return find(all, ref)
}

func find(all []*Network, ref string) (*Network, error) {
	for _, n := range all {
		if n.Name == ref || n.ID == ref {
			return n, nil
		}
	}
	var found []*Network
	for _, n := range all {
		if ref != "" && strings.HasPrefix(n.ID, ref) {
			found = append(found, n)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return nil, fmt.Errorf("network %s not found: %w", ref, errdefs.ErrNotFound)
	}
	return nil, fmt.Errorf("network %s is ambiguous (%d matches): %w", ref, len(found), errdefs.ErrInvalidArgument)
}

// Default returns the default network, creating it on first use.
func (s *Store) Default() (*Network, error) {
	if n, err := s.Get(DefaultName); err == nil {
		return n, nil
	}
	n, err := s.Create(CreateOptions{Name: DefaultName})
	if errors.Is(err, errdefs.ErrConflict) {
		return s.Get(DefaultName) // another process made it meanwhile
	}
	return n, err
}

// Create validates o, chooses a subnet when none is given, and writes the
// record. The bridge device appears when the first container attaches.
func (s *Store) Create(o CreateOptions) (*Network, error) {
	if o.Driver != "" && o.Driver != "bridge" {
		return nil, fmt.Errorf("network driver %q is not supported (only bridge): %w", o.Driver, errdefs.ErrInvalidArgument)
	}
	if !validName(o.Name) {
		return nil, fmt.Errorf("invalid network name %q: %w", o.Name, errdefs.ErrInvalidArgument)
	}
	if o.Name == "none" || o.Name == "host" {
		return nil, fmt.Errorf("network name %q is reserved: %w", o.Name, errdefs.ErrInvalidArgument)
	}
	unlock, err := s.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	all, err := s.List()
	if err != nil {
		return nil, err
	}
	for _, n := range all {
		if n.Name == o.Name {
			return nil, fmt.Errorf("network with name %s already exists: %w", o.Name, errdefs.ErrConflict)
		}
	}
	ipam, err := s.planIPAM(o, all)
	if err != nil {
		return nil, err
	}
	id, err := newID()
	if err != nil {
		return nil, err
	}
	n := &Network{
		Name: o.Name, ID: id, Created: time.Now().UTC(), Driver: "bridge", Internal: o.Internal,
		Labels: o.Labels, IPAM: ipam, Bridge: "cais-" + id[:8], SubnetChosen: o.Subnet == "",
	}
	if n.Labels == nil {
		n.Labels = map[string]string{}
	}
	if err := s.save(n); err != nil {
		return nil, err
	}
	return n, nil
}

func (s *Store) save(n *Network) error {
	b, err := json.MarshalIndent(n, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(s.dir(), n.ID+".json"), b)
}

// planIPAM checks or chooses the subnet, gateway and range.
func (s *Store) planIPAM(o CreateOptions, others []*Network) (IPAM, error) {
	var taken []netip.Prefix
	for _, n := range others {
		if p, err := netip.ParsePrefix(n.IPAM.Subnet); err == nil {
			taken = append(taken, p)
		}
	}
	var subnet netip.Prefix
	if o.Subnet != "" {
		p, err := netip.ParsePrefix(o.Subnet)
		if err != nil || !p.Addr().Is4() || p.Bits() > 30 {
			return IPAM{}, fmt.Errorf("invalid subnet %q: want an IPv4 CIDR of at most /30: %w", o.Subnet, errdefs.ErrInvalidArgument)
		}
		p = p.Masked()
		for _, t := range taken {
			if t.Overlaps(p) {
				return IPAM{}, fmt.Errorf("subnet %s overlaps with the subnet %s of another network: %w", p, t, errdefs.ErrConflict)
			}
		}
		subnet = p
	} else {
		if o.Gateway != "" || o.IPRange != "" {
			return IPAM{}, fmt.Errorf("--gateway and --ip-range need --subnet: %w", errdefs.ErrInvalidArgument)
		}
		routes, err := s.routes()
		if err != nil {
			return IPAM{}, err
		}
		p, ok := ChooseSubnet(append(routes, taken...))
		if !ok {
			return IPAM{}, fmt.Errorf("no free subnet left for a new network: %w", errdefs.ErrUnavailable)
		}
		subnet = p
	}
	gw := subnet.Addr().Next()
	if o.Gateway != "" {
		g, err := netip.ParseAddr(o.Gateway)
		if err != nil || !subnet.Contains(g) || g == subnet.Addr() {
			return IPAM{}, fmt.Errorf("gateway %q is not a host address in subnet %s: %w", o.Gateway, subnet, errdefs.ErrInvalidArgument)
		}
		gw = g
	}
	out := IPAM{Subnet: subnet.String(), Gateway: gw.String()}
	if o.IPRange != "" {
		r, err := netip.ParsePrefix(o.IPRange)
		if err != nil || !subnet.Contains(r.Addr()) || r.Bits() < subnet.Bits() {
			return IPAM{}, fmt.Errorf("ip range %q is not inside subnet %s: %w", o.IPRange, subnet, errdefs.ErrInvalidArgument)
		}
		out.IPRange = r.Masked().String()
	}
	return out, nil
}

func (s *Store) routes() ([]netip.Prefix, error) {
	if s.HostRoutes != nil {
		return s.HostRoutes()
	}
	return HostRoutes()
}

// Remove deletes the record of n; the caller has checked that no
// container uses it. The bridge device and its masquerade rule, which
// outlive the network's containers, go with it (bridgegc_linux.go).
func (s *Store) Remove(n *Network) error {
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	// The bridge first: if it cannot go, the record stays for a retry
	// rather than leave a bridge no record names.
	if err := s.removeBridge(n); err != nil {
		return fmt.Errorf("removing network %s: %w", n.Name, err)
	}
	if err := os.Remove(filepath.Join(s.dir(), n.ID+".json")); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing network %s: %w", n.Name, err)
	}
	os.RemoveAll(filepath.Join(s.ipamDir(), n.ID))
	return nil
}

func (s *Store) ipamDir() string  { return filepath.Join(s.RunRoot, "cni", "ipam") }
func (s *Store) cacheDir() string { return filepath.Join(s.RunRoot, "cni", "cache") }

// NetNSPath is where container id's network namespace file lives.
func (s *Store) NetNSPath(id string) string { return filepath.Join(s.RunRoot, "netns", id) }

func validName(n string) bool {
	if n == "" || len(n) > 64 {
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

func newID() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("making a network ID: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// writeAtomic writes a record through a synced temp file and a rename.
func writeAtomic(path string, b []byte) error { return fsutil.WriteFile(path, b, 0o600) }
