package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/errdefs"
)

// CopyOptions are `cais cp`'s options.
type CopyOptions struct {
	// FollowLink copies what a source symlink points to, not the link (-L).
	FollowLink bool
	// Archive keeps the owners recorded in the copy (-a); otherwise what
	// is written belongs to root (the user cais runs as).
	Archive bool
}

// resolver opens a path as an O_PATH file; follow says whether a symlink
// in the last component is followed. A missing path is os.ErrNotExist.
type resolver func(p string, follow bool) (*os.File, error)

// CopyFromContainer copies src (a path in c) to the host path dst, with
// Docker's rules for existing and missing destinations and a trailing
// "/." (a directory's contents). dst "-" writes a tar of src to stdout.
// Works whether c runs or not.
func (e *Engine) CopyFromContainer(ctx context.Context, c *Container, src, dst string, stdout io.Writer, o CopyOptions) error {
	in, err := e.containerResolver(c)
	if err != nil {
		return err
	}
	node, err := openSource(in, src, o.FollowLink)
	if err != nil {
		return fmt.Errorf("copying from %s:%s: %w", c.Name, src, err)
	}
	defer node.f.Close()
	if dst == "-" {
		return writeTar(stdout, node)
	}
	return copyNode(node, hostResolver, dst, o)
}

// CopyToContainer copies the host path src to dst in c, with the rules
// of CopyFromContainer. src "-" reads a tar from stdin and extracts it
// into dst, which must be a directory.
func (e *Engine) CopyToContainer(ctx context.Context, c *Container, src string, stdin io.Reader, dst string, o CopyOptions) error {
	in, err := e.containerResolver(c)
	if err != nil {
		return err
	}
	if src == "-" {
		d, err := in(dst, true)
		if err != nil {
			return fmt.Errorf("copying to %s:%s: %w", c.Name, dst, err)
		}
		defer d.Close()
		if !isDirFile(d) {
			return fmt.Errorf("copying to %s:%s: destination must be a directory: %w", c.Name, dst, errdefs.ErrInvalidArgument)
		}
		return extractTar(d, stdin, "", "", o)
	}
	node, err := openSource(hostResolver, src, o.FollowLink)
	if err != nil {
		return fmt.Errorf("copying %s: %w", src, err)
	}
	defer node.f.Close()
	if err := copyNode(node, in, dst, o); err != nil {
		return fmt.Errorf("copying to %s:%s: %w", c.Name, dst, err)
	}
	return nil
}

// containerResolver opens paths of c's filesystem from the host: beneath
// the source of the bind mount whose destination holds the path (the
// longest), else beneath the rootfs. Symlinks resolve inside that
// directory (openat2 RESOLVE_IN_ROOT): a link to /etc or ../.. stays in
// the container. A symlink leading from the rootfs into a bind mount
// resolves to the mount point, not the mount (a known limit).
func (e *Engine) containerResolver(c *Container) (resolver, error) {
	spec, err := e.containerSpec(c)
	if err != nil {
		return nil, err
	}
	rootfs := filepath.Join(e.runDir(c.ID), "rootfs")
	if spec.Root != nil && filepath.IsAbs(spec.Root.Path) {
		rootfs = spec.Root.Path
	}
	return func(p string, follow bool) (*os.File, error) {
		p = path.Clean("/" + p)
		base, rel, best := rootfs, p, -1
		for _, m := range spec.Mounts {
			if m.Type != "bind" && !hasOption(m.Options, "bind") && !hasOption(m.Options, "rbind") {
				continue
			}
			d := path.Clean(m.Destination)
			if (p == d || strings.HasPrefix(p, d+"/") || d == "/") && len(d) > best {
				base, rel, best = m.Source, strings.TrimPrefix(p, d), len(d)
			}
		}
		if rel = strings.TrimPrefix(rel, "/"); rel == "" {
			rel = "."
		}
		return openInRoot(base, rel, follow)
	}, nil
}

func hasOption(opts []string, o string) bool {
	for _, x := range opts {
		if x == o {
			return true
		}
	}
	return false
}

// openInRoot opens rel beneath base with RESOLVE_IN_ROOT; base may be a
// file (a bind-mounted file) when rel is ".".
func openInRoot(base, rel string, follow bool) (*os.File, error) {
	flags := unix.O_PATH | unix.O_CLOEXEC
	if !follow {
		flags |= unix.O_NOFOLLOW
	}
	if rel == "." {
		fd, err := unix.Open(base, flags, 0)
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: base, Err: err}
		}
		return os.NewFile(uintptr(fd), base), nil
	}
	root, err := unix.Open(base, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: base, Err: err}
	}
	defer unix.Close(root)
	fd, err := unix.Openat2(root, rel, &unix.OpenHow{
		Flags:   uint64(flags),
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	})
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: "/" + rel, Err: err}
	}
	return os.NewFile(uintptr(fd), rel), nil
}

// hostResolver opens host paths as the user names them.
func hostResolver(p string, follow bool) (*os.File, error) {
	return openInRoot(p, ".", follow)
}

// source is what is copied: an O_PATH file, its name in the copy and
// whether only a directory's contents go (a trailing "/.").
type source struct {
	f            *os.File
	name         string
	isDir        bool
	contentsOnly bool
}

func openSource(in resolver, p string, follow bool) (source, error) {
	contentsOnly := strings.HasSuffix(p, "/.") || p == "."
	f, err := in(p, follow)
	if err != nil {
		return source{}, err
	}
	name := path.Base(path.Clean("/" + p))
	if name == "/" || name == "." {
		name = "root"
	}
	s := source{f: f, name: name, isDir: isDirFile(f), contentsOnly: contentsOnly}
	if contentsOnly && !s.isDir {
		f.Close()
		return source{}, fmt.Errorf("%s: not a directory: %w", p, errdefs.ErrInvalidArgument)
	}
	return s, nil
}

func isDirFile(f *os.File) bool {
	var st unix.Stat_t
	return unix.Fstat(int(f.Fd()), &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR
}

// copyNode copies s to dst (opened through out) as Docker's cp does:
// into an existing directory (its contents only with "/."), over an
// existing file, or as a new dst whose parent exists.
func copyNode(s source, out resolver, dst string, o CopyOptions) error {
	d, err := out(dst, true)
	switch {
	case err == nil:
		defer d.Close()
		if isDirFile(d) {
			rename := ""
			if s.isDir && s.contentsOnly {
				rename = "."
			}
			return pipeTar(s, d, rename, o)
		}
		if s.isDir {
			return fmt.Errorf("cannot copy a directory to a file (%s): %w", dst, errdefs.ErrInvalidArgument)
		}
		if strings.HasSuffix(dst, "/") {
			return fmt.Errorf("destination %s is not a directory: %w", dst, errdefs.ErrInvalidArgument)
		}
	case errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ENOENT):
		if strings.HasSuffix(dst, "/") && !s.isDir {
			return fmt.Errorf("destination directory %s does not exist: %w", dst, errdefs.ErrNotFound)
		}
	default:
		return err
	}
	clean := path.Clean(dst)
	parent, err := out(path.Dir(clean), true)
	if err != nil {
		return fmt.Errorf("destination's parent directory %s: %w", path.Dir(clean), errdefs.ErrNotFound)
	}
	defer parent.Close()
	if !isDirFile(parent) {
		return fmt.Errorf("destination's parent %s is not a directory: %w", path.Dir(clean), errdefs.ErrInvalidArgument)
	}
	return pipeTar(s, parent, path.Base(clean), o)
}

// pipeTar writes s as a tar and extracts it into dir, its top entry
// renamed to rename when set.
func pipeTar(s source, dir *os.File, rename string, o CopyOptions) error {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeTar(pw, s)) }()
	err := extractTar(dir, pr, s.name, rename, o)
	pr.CloseWithError(io.ErrClosedPipe)
	return err
}
