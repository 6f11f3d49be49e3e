package engine

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/cais-project/cais/internal/image/registry"
	"github.com/cais-project/cais/internal/image/transfer"
)

// Save writes the images refs name to w as a "docker-archive" (the
// default when format is empty) or "oci-archive" tarball.
func (e *Engine) Save(ctx context.Context, refs []string, w io.Writer, format string) error {
	if format == "" {
		format = "docker-archive"
	}
	f, err := transfer.ParseFormat(format)
	if err != nil {
		return err
	}
	return transfer.Save(ctx, e.registryStore(), refs, w, f)
}

// Load reads an image archive (docker-archive, either layout, or
// oci-archive) from r, records its images, unpacks them, and returns the
// names it loaded, familiar where named ("busybox:latest") and
// "sha256:<id>" for images without one.
func (e *Engine) Load(ctx context.Context, r io.Reader) ([]string, error) {
	unlock, err := e.lockShared()
	if err != nil {
		return nil, err
	}
	defer unlock()
	names, err := transfer.Load(ctx, e.registryStore(), r)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		img, err := registry.Load(ctx, e.registryStore(), n)
		if err != nil {
			return out, err
		}
		if err := e.unpack(ctx, img, quietProgress()); err != nil {
			return out, fmt.Errorf("load: unpacking %s: %w", n, err)
		}
		if isDangling(n) || n == img.Record.Target.Digest.String() {
			out = append(out, img.Manifest.Config.Digest.String())
		} else {
			out = append(out, familiar(n))
		}
	}
	return out, nil
}

// ImportOptions are Import's optional settings.
type ImportOptions struct {
	Changes []string // Dockerfile instructions (CMD, ENV, ...), as docker import --change
	Message string   // the history comment
}

// Import makes a one-layer image of source: a tarball path, a directory,
// or "-" for r. It records it under ref (when not empty), unpacks it and
// returns its ID.
func (e *Engine) Import(ctx context.Context, source string, r io.Reader, ref string, opts ImportOptions) (string, error) {
	unlock, err := e.lockShared()
	if err != nil {
		return "", err
	}
	defer unlock()
	topts := transfer.ImportOptions{Changes: opts.Changes, Message: opts.Message, Source: source}
	var img registry.Image
	if fi, err := os.Stat(source); source != "-" && err == nil && fi.IsDir() {
		img, err = transfer.ImportDir(ctx, e.registryStore(), source, ref, topts)
		if err != nil {
			return "", err
		}
	} else {
		if source != "-" {
			f, err := os.Open(source)
			if err != nil {
				return "", fmt.Errorf("import: %w", err)
			}
			defer f.Close()
			r = f
		}
		if img, err = transfer.Import(ctx, e.registryStore(), r, ref, topts); err != nil {
			return "", err
		}
	}
	if err := e.unpack(ctx, img, quietProgress()); err != nil {
		return "", fmt.Errorf("import: %w", err)
	}
	return img.Manifest.Config.Digest.String(), nil
}
