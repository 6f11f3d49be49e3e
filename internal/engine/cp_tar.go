package engine

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/errdefs"
)

// procPath names an open file through procfs, to reopen an O_PATH file.
func procPath(f *os.File) string { return "/proc/self/fd/" + strconv.Itoa(int(f.Fd())) }

// writeTar writes s as a tar whose entries start with s.name. A
// directory is walked through an os.Root on it, so nothing a process in
// the container changes meanwhile leads the walk outside it; symlinks
// are written as symlinks.
func writeTar(w io.Writer, s source) error {
	tw := tar.NewWriter(w)
	if !s.isDir {
		var st unix.Stat_t
		if err := unix.Fstat(int(s.f.Fd()), &st); err != nil {
			return err
		}
		if err := writeEntry(tw, s.name, &st, func() (string, error) { return readlinkFd(s.f) },
			func() (*os.File, error) { return os.Open(procPath(s.f)) }); err != nil {
			return err
		}
		return tw.Close()
	}
	root, err := os.OpenRoot(procPath(s.f))
	if err != nil {
		return err
	}
	defer root.Close()
	err = fs.WalkDir(root.FS(), ".", func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := root.Lstat(p)
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return fmt.Errorf("%s: no stat", p)
		}
		var ust unix.Stat_t
		ust.Mode, ust.Uid, ust.Gid, ust.Size, ust.Mtim = st.Mode, st.Uid, st.Gid, st.Size, unix.Timespec(st.Mtim)
		return writeEntry(tw, path.Join(s.name, p), &ust,
			func() (string, error) { return root.Readlink(p) },
			func() (*os.File, error) { return root.Open(p) })
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

func readlinkFd(f *os.File) (string, error) {
	buf := make([]byte, 4096)
	n, err := unix.Readlinkat(int(f.Fd()), "", buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

// writeEntry writes one header (and a regular file's content); devices,
// fifos and sockets are left out.
func writeEntry(tw *tar.Writer, name string, st *unix.Stat_t, link func() (string, error), open func() (*os.File, error)) error {
	h := &tar.Header{Name: name, Mode: int64(st.Mode & 0o7777), Uid: int(st.Uid), Gid: int(st.Gid),
		ModTime: timeOf(st.Mtim), Format: tar.FormatPAX}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		h.Typeflag, h.Name = tar.TypeDir, name+"/"
	case unix.S_IFLNK:
		t, err := link()
		if err != nil {
			return err
		}
		h.Typeflag, h.Linkname = tar.TypeSymlink, t
	case unix.S_IFREG:
		h.Typeflag, h.Size = tar.TypeReg, st.Size
	default:
		return nil
	}
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	if h.Typeflag != tar.TypeReg {
		return nil
	}
	f, err := open()
	if err != nil {
		return err
	}
	defer f.Close()
	// A file that grew or shrank meanwhile: exactly Size bytes go.
	if _, err := io.CopyN(tw, io.MultiReader(f, zeros{}), h.Size); err != nil {
		return fmt.Errorf("copying %s: %w", name, err)
	}
	return nil
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// extractTar extracts r into the directory dir through an os.Root on it:
// no entry lands outside it, whatever its name or the symlinks it meets.
// An entry whose first component is top is renamed to rename ("." for
// dir itself) when rename is set. Owners are the tar's with o.Archive.
func extractTar(dir *os.File, r io.Reader, top, rename string, o CopyOptions) error {
	root, err := os.OpenRoot(procPath(dir))
	if err != nil {
		return err
	}
	defer root.Close()
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading archive: %w", err)
		}
		name := path.Clean(strings.TrimPrefix(h.Name, "/"))
		if rename != "" {
			if name == top {
				name = rename
			} else if rest, ok := strings.CutPrefix(name, top+"/"); ok {
				name = path.Join(rename, rest)
			}
		}
		if name == ".." || strings.HasPrefix(name, "../") {
			return fmt.Errorf("archive entry %q is outside the destination: %w", h.Name, errdefs.ErrInvalidArgument)
		}
		if err := extractEntry(root, name, h, tr, o); err != nil {
			return fmt.Errorf("extracting %s: %w", h.Name, err)
		}
	}
}

func extractEntry(root *os.Root, name string, h *tar.Header, r io.Reader, o CopyOptions) error {
	mode := os.FileMode(h.Mode & 0o777)
	if h.Typeflag != tar.TypeDir && name != "." {
		// Replace what is there (never write through an old symlink).
		if fi, err := root.Lstat(name); err == nil && !fi.IsDir() {
			if err := root.Remove(name); err != nil {
				return err
			}
		}
	}
	switch h.Typeflag {
	case tar.TypeDir:
		if err := root.MkdirAll(name, 0o755); err != nil {
			return err
		}
	case tar.TypeReg:
		f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, r)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	case tar.TypeSymlink:
		if err := root.Symlink(h.Linkname, name); err != nil {
			return err
		}
	case tar.TypeLink:
		if err := root.Link(path.Clean(strings.TrimPrefix(h.Linkname, "/")), name); err != nil {
			return err
		}
	default:
		return nil // devices, fifos: not copied
	}
	if o.Archive {
		if err := root.Lchown(name, h.Uid, h.Gid); err != nil {
			return err
		}
	}
	if h.Typeflag == tar.TypeSymlink {
		return nil
	}
	if err := root.Chmod(name, os.FileMode(h.Mode&0o777)|modeBits(h.Mode)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return root.Chtimes(name, h.ModTime, h.ModTime)
}

func modeBits(m int64) os.FileMode {
	var b os.FileMode
	if m&0o4000 != 0 {
		b |= os.ModeSetuid
	}
	if m&0o2000 != 0 {
		b |= os.ModeSetgid
	}
	if m&0o1000 != 0 {
		b |= os.ModeSticky
	}
	return b
}

func timeOf(ts unix.Timespec) time.Time { return time.Unix(ts.Sec, ts.Nsec) }
