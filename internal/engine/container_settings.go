package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"
	"syscall"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cais-project/cais/internal/engine/specgen"
	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/image/registry"
)

// Settings are what create and run take beyond the image, the command and
// the basics of RunOptions, with Docker's flag meanings. The container's
// record keeps them (User, WorkingDir, Entrypoint and StopSignal completed
// from the image) so that inspect and stop see what the user asked for.
type Settings struct {
	User       string `json:"user,omitempty"`       // -u: "user[:group]", names or numbers
	WorkingDir string `json:"workingDir,omitempty"` // -w
	// Entrypoint replaces the image's when EntrypointSet; an empty one
	// clears it (--entrypoint "").
	Entrypoint    []string `json:"entrypoint,omitempty"`
	EntrypointSet bool     `json:"entrypointSet,omitempty"`

	ReadOnly   bool `json:"readOnly,omitempty"`
	Privileged bool `json:"privileged,omitempty"`
	// Init runs Debian's tini as pid 1 (see InitPath).
	Init    bool     `json:"init,omitempty"`
	CapAdd  []string `json:"capAdd,omitempty"`
	CapDrop []string `json:"capDrop,omitempty"`
	// Devices are --device values, Ulimits --ulimit values, as specgen
	// takes them.
	Devices []string          `json:"devices,omitempty"`
	Ulimits []string          `json:"ulimits,omitempty"`
	Sysctls map[string]string `json:"sysctls,omitempty"`
	ShmSize int64             `json:"shmSize,omitempty"` // bytes; 0: 64 MiB

	// MemorySwap: -1 unlimited, 0 twice the memory limit (Docker's rule).
	MemorySwap  int64  `json:"memorySwap,omitempty"`
	NanoCPUs    int64  `json:"nanoCpus,omitempty"` // --cpus × 1e9
	CPUShares   int64  `json:"cpuShares,omitempty"`
	CpusetCpus  string `json:"cpusetCpus,omitempty"`
	BlkioWeight uint16 `json:"blkioWeight,omitempty"`
	OOMScoreAdj int    `json:"oomScoreAdj,omitempty"`

	Labels map[string]string `json:"labels,omitempty"`
	// StopSignal is a name or number ("SIGQUIT", "QUIT", "3"); empty is
	// the image's, else SIGTERM. StopTimeout in seconds, nil: 10.
	StopSignal  string `json:"stopSignal,omitempty"`
	StopTimeout *int   `json:"stopTimeout,omitempty"`

	// Platform ("os/arch[/variant]") is given to a pull and must match an
	// image already present. Pull is "missing" (or empty), "always" or
	// "never".
	Platform string `json:"platform,omitempty"`
	Pull     string `json:"pull,omitempty"`
}

// InitPath is the init --init binds at /sbin/docker-init: Debian's static
// tini (package tini), static so that it runs in any image.
var InitPath = "/usr/bin/tini-static"

// defaultStopTimeout is Docker's, in seconds.
const defaultStopTimeout = 10

// checkRun refuses, before anything exists, what no container could be
// created with.
func checkRun(o RunOptions) error {
	if err := checkSettings(o.Settings); err != nil {
		return err
	}
	so := specgen.Options{ID: "check", Network: o.Network, Memory: o.Memory, PidsLimit: o.PidsLimit}
	o.Settings.specOptions(&so)
	return specgen.Validate(so)
}

func checkSettings(s Settings) error {
	switch s.Pull {
	case "", "missing", "always", "never":
	default:
		return fmt.Errorf("invalid --pull %q: want always, missing or never: %w", s.Pull, errdefs.ErrInvalidArgument)
	}
	if s.StopSignal != "" {
		if _, err := ParseSignal(s.StopSignal); err != nil {
			return fmt.Errorf("invalid --stop-signal: %w", err)
		}
	}
	if s.Init {
		if st, err := os.Stat(InitPath); err != nil || st.IsDir() {
			return fmt.Errorf("--init needs %s (install Debian's tini package): %w", InitPath, errdefs.ErrNotFound)
		}
	}
	if s.WorkingDir != "" && !strings.HasPrefix(s.WorkingDir, "/") {
		return fmt.Errorf("invalid -w, --workdir %q: the working directory must be an absolute path: %w", s.WorkingDir, errdefs.ErrInvalidArgument)
	}
	if s.ShmSize < 0 {
		return fmt.Errorf("invalid --shm-size %d: it cannot be negative: %w", s.ShmSize, errdefs.ErrInvalidArgument)
	}
	if s.OOMScoreAdj < -1000 || s.OOMScoreAdj > 1000 {
		return fmt.Errorf("invalid --oom-score-adj %d: must be between -1000 and 1000: %w", s.OOMScoreAdj, errdefs.ErrInvalidArgument)
	}
	if err := checkCpuset(s.CpusetCpus); err != nil {
		return err
	}
	return checkUlimits(s.Ulimits)
}

// specOptions adds the settings to the options specgen takes.
func (s Settings) specOptions(o *specgen.Options) {
	o.User, o.WorkingDir = s.User, s.WorkingDir
	o.Entrypoint, o.EntrypointSet = s.Entrypoint, s.EntrypointSet
	o.ReadOnly, o.Privileged = s.ReadOnly, s.Privileged
	if s.Init {
		o.Init, o.InitPath = true, InitPath
	}
	o.CapAdd, o.CapDrop, o.HostCaps = s.CapAdd, s.CapDrop, hostCaps()
	o.Devices, o.Ulimits, o.Sysctls, o.ShmSize = s.Devices, s.Ulimits, s.Sysctls, s.ShmSize
	if s.Privileged {
		o.Devices = append(hostDevices(deviceDests(s.Devices)), s.Devices...)
	}
	o.MemorySwap, o.NanoCPUs, o.CPUShares = s.MemorySwap, s.NanoCPUs, s.CPUShares
	o.CpusetCpus, o.BlkioWeight = s.CpusetCpus, s.BlkioWeight
	if s.OOMScoreAdj != 0 {
		adj := s.OOMScoreAdj
		o.OOMScoreAdj = &adj
	}
	o.Labels, o.StopSignal = s.Labels, s.StopSignal
}

// recorded is what the record keeps: the settings completed from the
// image as Docker's container config shows them.
func (s Settings) recorded(img ocispec.ImageConfig) Settings {
	r := s
	// The container's labels are the image's and the user's, as Docker
	// merges them at create.
	r.Labels = maps(img.Labels)
	for k, v := range s.Labels {
		if r.Labels == nil {
			r.Labels = map[string]string{}
		}
		r.Labels[k] = v
	}
	r.CapAdd, r.CapDrop = slices.Clone(s.CapAdd), slices.Clone(s.CapDrop)
	if r.User == "" {
		r.User = img.User
	}
	if r.WorkingDir == "" {
		r.WorkingDir = img.WorkingDir
	}
	switch {
	case !s.EntrypointSet:
		r.Entrypoint = slices.Clone(img.Entrypoint)
	case len(s.Entrypoint) == 1 && s.Entrypoint[0] == "":
		r.Entrypoint = nil
	}
	if r.StopSignal == "" {
		r.StopSignal = img.StopSignal
	}
	return r
}

func maps(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// forPlatform is img resolved for platform want: an index in the store
// resolves to the host's platform, so it is loaded again for want. Only
// the first record is used: they all name the same target.
func (e *Engine) forPlatform(ctx context.Context, img *image, want string) (*image, error) {
	if want == "" || len(img.records) == 0 {
		return img, nil
	}
	p, err := registry.ParsePlatform(want)
	if err != nil {
		return nil, fmt.Errorf("invalid --platform: %w", err)
	}
	r := img.records[0]
	if mt := r.Target.MediaType; mt != ocispec.MediaTypeImageIndex && mt != "application/vnd.docker.distribution.manifest.list.v2+json" {
		return img, nil
	}
	loaded, err := registry.Load(ctx, registry.Store{Content: e.content, Images: fixedRecord{r}}, r.Name, registry.WithPlatform(p))
	if errors.Is(err, errdefs.ErrNotFound) {
		// Not an error of --pull missing, which then pulls it.
		return nil, fmt.Errorf("image %s was found but does not match the specified platform: wanted %s, which is not in the store: %w",
			r.Name, want, errdefs.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("image %s for --platform %s: %w", r.Name, want, err)
	}
	return &image{id: loaded.Manifest.Config.Digest.String(), records: img.records, loaded: loaded}, nil
}

// checkPlatform refuses an image present in the store for another
// platform than the one asked for.
func checkPlatform(ref, want string, img *image) error {
	if want == "" {
		return nil
	}
	p, err := registry.ParsePlatform(want)
	if err != nil {
		return fmt.Errorf("invalid --platform: %w", err)
	}
	have := img.loaded.Config.Platform
	if have.OS != p.OS || have.Architecture != p.Architecture || (p.Variant != "" && have.Variant != "" && have.Variant != p.Variant) {
		actual := strings.TrimSuffix(have.OS+"/"+have.Architecture+"/"+have.Variant, "/")
		return fmt.Errorf("image %s was found but does not match the specified platform: wanted %s, actual: %s: %w",
			ref, want, actual, errdefs.ErrConflict)
	}
	return nil
}

// stopSignal is the container's stop signal, SIGTERM when it has none.
func (c *Container) stopSignal() syscall.Signal {
	if sig, err := ParseSignal(c.Settings.StopSignal); err == nil {
		return sig
	}
	return syscall.SIGTERM
}

// stopTimeout is timeout, or when it is negative the container's
// --stop-timeout (10 seconds if unset; a negative one waits for ever).
func (c *Container) stopTimeout(timeout time.Duration) time.Duration {
	if timeout >= 0 {
		return timeout
	}
	secs := defaultStopTimeout
	if c.Settings.StopTimeout != nil {
		secs = *c.Settings.StopTimeout
	}
	if secs < 0 {
		return 100 * 365 * 24 * time.Hour
	}
	return time.Duration(secs) * time.Second
}

// deviceDests are the container paths of --device values.
func deviceDests(devices []string) []string {
	var out []string
	for _, d := range devices {
		parts := strings.Split(d, ":")
		dest := parts[0]
		if len(parts) > 1 && strings.HasPrefix(parts[1], "/") {
			dest = parts[1]
		}
		out = append(out, path.Clean(dest))
	}
	return out
}
