package compat

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"github.com/cais-project/cais/internal/fixture"
)

// imageName is the name the archive gives its image, fully qualified so that
// ctr (which does not normalize names), Docker and Podman all agree on it.
const imageName = "docker.io/library/busybox:latest"

var (
	imageOnce sync.Once
	imagePath string
	imageErr  error
)

// imageArchive returns a tarball holding a one-layer image of
// fixture.BusyboxRootfs named imageName, readable by `ctr images import`,
// `docker load` and `podman load`: it is both an OCI image layout
// (oci-layout, index.json, blobs/sha256/...) and a docker-archive
// (manifest.json and repositories pointing at the same blobs). The archive
// is built once per test process.
func imageArchive(t *testing.T) string {
	t.Helper()
	rootfs := fixture.BusyboxRootfs(t)
	imageOnce.Do(func() {
		dir, err := os.MkdirTemp("", "cais-compat-image-")
		if err != nil {
			imageErr = err
			return
		}
		imagePath = filepath.Join(dir, "busybox.tar")
		imageErr = writeImage(rootfs, imagePath)
	})
	if imageErr != nil {
		t.Fatalf("building image archive: %v", imageErr)
	}
	return imagePath
}

// blob is one content-addressed file of the archive.
type blob struct {
	mediaType string
	data      []byte
}

func (b blob) hex() string {
	sum := sha256.Sum256(b.data)
	return hex.EncodeToString(sum[:])
}

func (b blob) digest() string { return "sha256:" + b.hex() }
func (b blob) path() string   { return "blobs/sha256/" + b.hex() }

func (b blob) descriptor(annotations map[string]string) map[string]any {
	d := map[string]any{"mediaType": b.mediaType, "digest": b.digest(), "size": len(b.data)}
	if annotations != nil {
		d["annotations"] = annotations
	}
	return d
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only maps and slices of plain values are encoded
	}
	return b
}

// writeImage writes the image archive of rootfs to dst.
func writeImage(rootfs, dst string) error {
	layerData, err := tarTree(rootfs)
	if err != nil {
		return err
	}
	layer := blob{"application/vnd.oci.image.layer.v1.tar", layerData}
	config := blob{"application/vnd.oci.image.config.v1+json", mustJSON(map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"config": map[string]any{
			"Env": []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
			"Cmd": []string{"sh"},
		},
		"rootfs":  map[string]any{"type": "layers", "diff_ids": []string{layer.digest()}},
		"history": []map[string]any{{"created_by": "cais compat test: busybox fixture"}},
	})}
	manifest := blob{"application/vnd.oci.image.manifest.v1+json", mustJSON(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.manifest.v1+json",
		"config":        config.descriptor(nil),
		"layers":        []any{layer.descriptor(nil)},
	})}
	index := mustJSON(map[string]any{
		"schemaVersion": 2,
		"manifests": []any{manifest.descriptor(map[string]string{
			"io.containerd.image.name":          imageName,
			"org.opencontainers.image.ref.name": "latest",
		})},
	})
	dockerManifest := mustJSON([]map[string]any{{
		"Config":   config.path(),
		"RepoTags": []string{imageName},
		"Layers":   []string{layer.path()},
	}})
	repositories := mustJSON(map[string]any{
		"docker.io/library/busybox": map[string]string{"latest": layer.hex()},
	})

	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	files := []struct {
		name string
		data []byte
	}{
		{"oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)},
		{"index.json", index},
		{layer.path(), layer.data},
		{config.path(), config.data},
		{manifest.path(), manifest.data},
		{"manifest.json", dockerManifest},
		{"repositories", repositories},
	}
	for _, dir := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir, Mode: 0o755}); err != nil {
			return err
		}
	}
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: f.name, Mode: 0o644, Size: int64(len(f.data))}); err != nil {
			return err
		}
		if _, err := tw.Write(f.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return os.WriteFile(dst, out.Bytes(), 0o644)
}

// tarTree returns an uncompressed tar of the tree at root, keeping modes,
// owners and symlinks, with names relative to root.
func tarTree(root string) ([]byte, error) {
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == "." {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if info.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		hdr.Name = rel
		if info.IsDir() {
			hdr.Name += "/"
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			hdr.Uid, hdr.Gid = int(st.Uid), int(st.Gid)
		}
		hdr.Uname, hdr.Gname = "", ""
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("archiving %s: %w", root, err)
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
