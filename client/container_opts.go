package client

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/cais-project/cais/internal/engine"
	"github.com/cais-project/cais/internal/errdefs"
)

// NewContainerOpts configure NewContainer.
type NewContainerOpts func(*engine.RunOptions) error

// WithImage makes the container's rootfs from img and takes its process
// defaults (entrypoint, cmd, env, working directory, user) from its config.
func WithImage(img Image) NewContainerOpts {
	return func(o *engine.RunOptions) error {
		if img == nil {
			return fmt.Errorf("image: nil: %w", errdefs.ErrInvalidArgument)
		}
		o.Image = img.ID()
		return nil
	}
}

// WithProcessArgs sets the container's whole command line, as containerd's
// does: the image's entrypoint and command are both replaced (`cais run
// --entrypoint ARGS[0] IMAGE ARGS[1:]...`).
func WithProcessArgs(args ...string) NewContainerOpts {
	return func(o *engine.RunOptions) error {
		if len(args) == 0 {
			return fmt.Errorf("process args: empty: %w", errdefs.ErrInvalidArgument)
		}
		// The whole command line, as containerd's: the image's entrypoint
		// is replaced too.
		o.Entrypoint, o.EntrypointSet = []string{args[0]}, true
		o.Cmd = append([]string(nil), args[1:]...)
		return nil
	}
}

// WithEnv adds "KEY=value" variables to the image's environment; a key the
// image sets is replaced.
func WithEnv(env []string) NewContainerOpts {
	return func(o *engine.RunOptions) error {
		o.Env = append(o.Env, env...)
		return nil
	}
}

// WithHostNetwork runs the container in the host's network namespace.
func WithHostNetwork() NewContainerOpts {
	return func(o *engine.RunOptions) error {
		o.Network = "host"
		return nil
	}
}

// WithHostname sets the container's hostname (default: the first 12
// characters of its internal ID, or the host's with WithHostNetwork).
func WithHostname(name string) NewContainerOpts {
	return func(o *engine.RunOptions) error {
		o.Hostname = name
		return nil
	}
}

// WithHostsFile binds the host file path read-only at /etc/hosts in place
// of the one cais writes for the container.
func WithHostsFile(path string) NewContainerOpts { return withEtcFile(path, "/etc/hosts") }

// WithResolvConf binds the host file path read-only at /etc/resolv.conf in
// place of the one cais writes for the container.
func WithResolvConf(path string) NewContainerOpts { return withEtcFile(path, "/etc/resolv.conf") }

func withEtcFile(path, dst string) NewContainerOpts {
	return func(o *engine.RunOptions) error {
		if !filepath.IsAbs(path) {
			return fmt.Errorf("%s: source %q is not an absolute path: %w", dst, path, errdefs.ErrInvalidArgument)
		}
		st, err := os.Stat(path)
		if err != nil {
			return fmt.Errorf("%s: %w: %w", dst, err, errdefs.ErrInvalidArgument)
		}
		if !st.Mode().IsRegular() {
			return fmt.Errorf("%s: source %q is not a regular file: %w", dst, path, errdefs.ErrInvalidArgument)
		}
		o.Volumes = append(o.Volumes, path+":"+dst+":ro")
		return nil
	}
}

// WithMounts binds host paths into the container, as `cais run -v`:
// "/host:/container[:ro|rw]".
func WithMounts(binds ...string) NewContainerOpts {
	return func(o *engine.RunOptions) error {
		o.Volumes = append(o.Volumes, binds...)
		return nil
	}
}

// WithRuntime chooses the OCI runtime: "cais-runtime" (the default),
// "runc", "crun" or a path to any runtime with runc's command line.
func WithRuntime(name string) NewContainerOpts {
	return func(o *engine.RunOptions) error {
		if name == "" {
			return fmt.Errorf("runtime: empty name: %w", errdefs.ErrInvalidArgument)
		}
		o.Runtime = name
		return nil
	}
}

// WithMemoryLimit limits the container's memory to bytes.
func WithMemoryLimit(bytes int64) NewContainerOpts {
	return func(o *engine.RunOptions) error {
		if bytes <= 0 {
			return fmt.Errorf("memory limit %d: must be positive: %w", bytes, errdefs.ErrInvalidArgument)
		}
		o.Memory = bytes
		return nil
	}
}
