package archive

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/cais-project/cais/internal/errdefs"
)

// Names that carry OCI whiteout meaning in a layer tar.
const (
	whiteoutPrefix = ".wh."
	whiteoutOpaque = ".wh..wh..opq"
	// Other ".wh..wh." names are aufs bookkeeping; Docker and containerd
	// skip them, and so does Apply.
	whiteoutMeta = ".wh..wh."
)

// Limits on names, as Linux enforces them (NAME_MAX, PATH_MAX).
const (
	maxNameLen = 255
	maxPathLen = 4095
)

// An Option changes how Apply treats a layer.
type Option func(*options)

type options struct {
	flatten     bool
	noDevices   bool
	lower       []string
	implicit    *[]string
	fileWorkers int
}

// Flatten makes Apply treat dir as a plain directory holding the layers
// below: a whiteout deletes the named file and an opaque marker empties the
// directory of what earlier layers put there. Without it, dir is an overlayfs
// upper directory and whiteouts are recorded the way overlayfs reads them.
func Flatten() Option { return func(o *options) { o.flatten = true } }

// WithLowerDirs names the directories below an overlay upper dir, nearest
// first. A directory that Apply must create because an entry below it has
// no entry of its own (common before whiteouts) then takes the owner, mode
// and times of the same directory in the nearest lower that has the path,
// instead of 0755 root: in the merged view the upper's copy hides it.
func WithLowerDirs(dirs []string) Option { return func(o *options) { o.lower = dirs } }

// CollectImplicitDirs is WithLowerDirs for a layer extracted before its
// lower layers exist (in parallel with them): the directories Apply
// creates on its own get 0755 and their paths (slash-separated, relative to
// dir) are stored in *dst when Apply returns. InheritDirAttrs later gives
// them the lower layers' attributes. A directory the layer also names
// explicitly is not listed.
func CollectImplicitDirs(dst *[]string) Option { return func(o *options) { o.implicit = dst } }

// ParallelFiles lets Apply hand small regular files to n goroutines that
// create and write them while it reads on, files of one directory to the
// same goroutine. Creating files in different directories proceeds in
// parallel in the kernel; in one directory it does not. An entry that
// touches a path a pending file is on, above or below (and any hard link,
// whiteout or opaque marker) first waits for all pending files, so the
// result is the same as applying in order. n below 2 means in order.
func ParallelFiles(n int) Option { return func(o *options) { o.fileWorkers = n } }

// NoDevices makes Apply refuse character and block device entries, for
// callers that cannot or must not create device nodes.
func NoDevices() Option { return func(o *options) { o.noDevices = true } }

// Apply extracts one uncompressed layer tar from r into dir, which must
// exist. It returns the number of tar bytes read.
//
// Entries keep their type (regular files, directories, symlinks, hard links,
// character and block devices, fifos), owner, mode including setuid, setgid
// and sticky bits, modification and access times (directories' times are
// set after their contents) and extended attributes (PAX SCHILY.xattr.*;
// trusted.overlay.* attributes are private to overlayfs and dropped).
//
// Apply refuses, with an errdefs.ErrInvalidArgument error naming the entry
// and the reason: names containing "..", names too long for Linux, paths
// through a symlink (whatever it points to), hard links whose target is not
// an earlier entry of this layer inside dir, an entry below a non-directory,
// and devices when NoDevices is given. A leading "/" is dropped: "/etc/x"
// means "etc/x". The root entry ("./") is skipped: dir's own attributes
// belong to whoever created it.
//
// On error Apply stops and leaves whatever it had written in dir: the
// caller must discard dir as a whole (the snapshotter removes the active
// snapshot). Nothing is ever written outside dir.
func Apply(ctx context.Context, dir string, r io.Reader, opts ...Option) (int64, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	a, err := newApplier(dir, o)
	if err != nil {
		return 0, err
	}
	defer a.close()

	cr := &countingReader{r: r}
	tr := tar.NewReader(cr)
	for {
		if err := ctx.Err(); err != nil {
			return cr.n, err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return cr.n, fmt.Errorf("reading layer tar: %w", err)
		}
		if err := a.entry(hdr, tr); err != nil {
			return cr.n, err
		}
	}
	if err := a.finish(); err != nil {
		return cr.n, err
	}
	return cr.n, nil
}

// cleanName turns a tar entry name into a relative, slash-separated path
// without "." components; "." stands for the root.
func cleanName(name string) (string, error) {
	var parts []string
	for _, p := range strings.Split(name, "/") {
		switch p {
		case "", ".":
			continue
		case "..":
			return "", errors.New(`name contains ".."`)
		}
		if len(p) > maxNameLen {
			return "", fmt.Errorf("a component is longer than %d bytes", maxNameLen)
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		return ".", nil
	}
	p := strings.Join(parts, "/")
	if len(p) > maxPathLen {
		return "", fmt.Errorf("name is longer than %d bytes", maxPathLen)
	}
	return p, nil
}

// refuse builds the error for an entry Apply will not extract.
func refuse(name, reason string) error {
	return fmt.Errorf("layer entry %q: %s: %w", name, reason, errdefs.ErrInvalidArgument)
}

// entryXattrs returns the extended attributes an entry asks for.
func entryXattrs(hdr *tar.Header) map[string]string {
	var x map[string]string
	for k, v := range hdr.PAXRecords {
		name, ok := strings.CutPrefix(k, "SCHILY.xattr.")
		if !ok || strings.HasPrefix(name, "trusted.overlay.") {
			continue
		}
		if x == nil {
			x = map[string]string{}
		}
		x[name] = v
	}
	return x
}

// whiteoutTarget reports whether base names a whiteout and which name it hides.
func whiteoutTarget(base string) (string, bool) {
	hidden, ok := strings.CutPrefix(base, whiteoutPrefix)
	return hidden, ok
}

func splitPath(p string) (dir, base string) {
	return path.Dir(p), path.Base(p)
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
