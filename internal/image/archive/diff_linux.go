package archive

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/cais-project/cais/internal/errdefs"
	"golang.org/x/sys/unix"
)

// Diff writes to w an OCI layer tar of upper, an overlayfs upper directory
// whose lower directories (top first) are lower. Overlay whiteouts (0:0
// character devices) become ".wh.<name>" entries, opaque directories get a
// ".wh..wh..opq" entry, and hard links inside upper become tar hard links.
// lower is consulted only to leave out whiteouts that hide nothing.
//
// upper must not be in use by a mounted overlay while Diff runs. Upper
// directories written with overlayfs' redirect_dir or metacopy features
// cannot be read this way; Diff returns errdefs.ErrNotImplemented for them.
// Entries are written in lexical order, so the same tree gives the same tar.
func Diff(ctx context.Context, lower []string, upper string, w io.Writer) error {
	tw := tar.NewWriter(w)
	links := map[[2]uint64]string{}
	err := filepath.WalkDir(upper, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(upper, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		return diffEntry(tw, lower, p, rel, fi, links)
	})
	if err != nil {
		return fmt.Errorf("diff of %s: %w", upper, err)
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("diff of %s: %w", upper, err)
	}
	return nil
}

func diffEntry(tw *tar.Writer, lower []string, p, rel string, fi fs.FileInfo, links map[[2]uint64]string) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("%s: no stat data", rel)
	}
	if fi.Mode()&fs.ModeCharDevice != 0 && st.Rdev == 0 {
		if !inLower(lower, rel) {
			return nil
		}
		dir, base := path.Split(rel)
		return tw.WriteHeader(&tar.Header{
			Typeflag: tar.TypeReg, Name: dir + whiteoutPrefix + base, ModTime: fi.ModTime(), Format: tar.FormatPAX,
		})
	}
	xattrs, opaque, err := readXattrs(p)
	if err != nil {
		return fmt.Errorf("%s: %w", rel, err)
	}
	var link string
	if fi.Mode()&fs.ModeSymlink != 0 {
		if link, err = os.Readlink(p); err != nil {
			return err
		}
	}
	hdr, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return fmt.Errorf("%s: %w", rel, err)
	}
	hdr.Name = rel
	hdr.Uname, hdr.Gname = "", ""
	hdr.AccessTime, hdr.ChangeTime = fi.ModTime(), fi.ModTime()
	hdr.Format = tar.FormatPAX
	for k, v := range xattrs {
		if hdr.PAXRecords == nil {
			hdr.PAXRecords = map[string]string{}
		}
		hdr.PAXRecords["SCHILY.xattr."+k] = v
	}
	var content string
	switch {
	case fi.IsDir():
		hdr.Name += "/"
	case fi.Mode().IsRegular():
		key := [2]uint64{st.Dev, st.Ino}
		if first, ok := links[key]; ok && st.Nlink > 1 {
			hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
		} else {
			links[key] = rel
			content = p
		}
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("%s: %w", rel, err)
	}
	if content != "" {
		if err := copyFile(tw, content); err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
	}
	if opaque {
		return tw.WriteHeader(&tar.Header{
			Typeflag: tar.TypeReg, Name: rel + "/" + whiteoutOpaque, ModTime: fi.ModTime(), Format: tar.FormatPAX,
		})
	}
	return nil
}

func copyFile(w io.Writer, p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

func inLower(lower []string, rel string) bool {
	for _, l := range lower {
		if _, err := os.Lstat(filepath.Join(l, rel)); err == nil {
			return true
		}
	}
	return false
}

// readXattrs returns p's extended attributes other than overlayfs' own, and
// whether overlayfs marked the directory opaque.
func readXattrs(p string) (map[string]string, bool, error) {
	names, err := listXattrs(p)
	if err != nil {
		return nil, false, err
	}
	var x map[string]string
	opaque := false
	for _, n := range names {
		v, err := getXattr(p, n)
		if err != nil {
			return nil, false, err
		}
		switch n {
		case "trusted.overlay.opaque":
			opaque = v == "y"
			continue
		case "trusted.overlay.redirect", "trusted.overlay.metacopy":
			return nil, false, fmt.Errorf("overlayfs %s is not supported: %w", n, errdefs.ErrNotImplemented)
		}
		if strings.HasPrefix(n, "trusted.overlay.") {
			continue
		}
		if x == nil {
			x = map[string]string{}
		}
		x[n] = v
	}
	return x, opaque, nil
}

func listXattrs(p string) ([]string, error) {
	buf := make([]byte, 1024)
	for {
		n, err := unix.Llistxattr(p, buf)
		if errors.Is(err, unix.ERANGE) {
			buf = make([]byte, len(buf)*4)
			continue
		}
		if errors.Is(err, unix.ENOTSUP) {
			return nil, nil
		}
		if err != nil {
			return nil, &os.PathError{Op: "llistxattr", Path: p, Err: err}
		}
		var names []string
		for _, s := range strings.Split(string(buf[:n]), "\x00") {
			if s != "" {
				names = append(names, s)
			}
		}
		return names, nil
	}
}

func getXattr(p, name string) (string, error) {
	buf := make([]byte, 256)
	for {
		n, err := unix.Lgetxattr(p, name, buf)
		if errors.Is(err, unix.ERANGE) {
			buf = make([]byte, len(buf)*4)
			continue
		}
		if err != nil {
			return "", &os.PathError{Op: "lgetxattr " + name, Path: p, Err: err}
		}
		return string(buf[:n]), nil
	}
}
