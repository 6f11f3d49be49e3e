// Command mkimage writes the pull benchmark's image as an OCI image layout:
// five layers of about 40 MB each, half random bytes and half compressible
// text in files of 4 KiB to 4 MiB, and one layer of 20,000 small text files
// in 200 directories. The content is generated from a fixed seed, so every
// run builds the same image.
//
//	go run ./bench/pull/mkimage DIR    # then: skopeo copy oci:DIR:bench ...
package main

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"
)

type descriptor struct {
	MediaType string            `json:"mediaType"`
	Digest    string            `json:"digest"`
	Size      int64             `json:"size"`
	Annot     map[string]string `json:"annotations,omitempty"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: mkimage DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var layers []descriptor
	var diffIDs []string
	for i := range 5 {
		d, diff, err := writeLayer(dir, func(tw *tar.Writer) error { return bigFiles(tw, rng, i) })
		if err != nil {
			return err
		}
		layers, diffIDs = append(layers, d), append(diffIDs, diff)
	}
	d, diff, err := writeLayer(dir, func(tw *tar.Writer) error { return smallFiles(tw, rng) })
	if err != nil {
		return err
	}
	layers, diffIDs = append(layers, d), append(diffIDs, diff)

	config, _ := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux",
		"config": map[string]any{"Cmd": []string{"/bin/sh"}},
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs},
	})
	cdesc, err := writeBlob(dir, "application/vnd.oci.image.config.v1+json", config)
	if err != nil {
		return err
	}
	manifest, _ := json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": cdesc, "layers": layers,
	})
	mdesc, err := writeBlob(dir, "application/vnd.oci.image.manifest.v1+json", manifest)
	if err != nil {
		return err
	}
	mdesc.Annot = map[string]string{"org.opencontainers.image.ref.name": "bench"}
	index, _ := json.Marshal(map[string]any{"schemaVersion": 2, "manifests": []descriptor{mdesc}})
	if err := os.WriteFile(filepath.Join(dir, "index.json"), index, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644)
}

var epoch = time.Unix(1700000000, 0)

func add(tw *tar.Writer, name string, body []byte) error {
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(body)), ModTime: epoch}); err != nil {
		return err
	}
	_, err := tw.Write(body)
	return err
}

// bigFiles writes about 40 MB: random and text files alternating.
func bigFiles(tw *tar.Writer, rng *rand.Rand, layer int) error {
	dir := fmt.Sprintf("data%d/", layer)
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir, Mode: 0o755, ModTime: epoch}); err != nil {
		return err
	}
	total := 0
	for n := 0; total < 40<<20; n++ {
		size := 4 << 10 << rng.IntN(11) // 4 KiB .. 4 MiB
		body := make([]byte, size)
		if n%2 == 0 {
			for i := range body {
				body[i] = byte(rng.Uint32())
			}
		} else {
			text(body, rng)
		}
		if err := add(tw, fmt.Sprintf("%sf%04d", dir, n), body); err != nil {
			return err
		}
		total += size
	}
	return nil
}

var words = strings.Fields("the quick brown fox jumps over lazy dog container image layer registry pull " +
	"snapshot overlay digest manifest config kernel namespace cgroup process runtime")

// text fills b with lines of words and numbers (compresses about 4:1).
func text(b []byte, rng *rand.Rand) {
	var sb strings.Builder
	for sb.Len() < len(b) {
		for range 8 {
			sb.WriteString(words[rng.IntN(len(words))])
			sb.WriteByte(' ')
		}
		fmt.Fprintf(&sb, "%d\n", rng.IntN(100000))
	}
	copy(b, sb.String())
}

// smallFiles writes 20,000 text files of 512 B to 4 KiB in 200 directories.
func smallFiles(tw *tar.Writer, rng *rand.Rand) error {
	for d := range 200 {
		dir := fmt.Sprintf("small/d%03d/", d)
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir, Mode: 0o755, ModTime: epoch}); err != nil {
			return err
		}
		for f := range 100 {
			body := make([]byte, 512+rng.IntN(3584))
			text(body, rng)
			if err := add(tw, fmt.Sprintf("%sf%03d.txt", dir, f), body); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeLayer writes a gzip-compressed layer blob and returns its
// descriptor and diffID.
func writeLayer(dir string, fill func(*tar.Writer) error) (descriptor, string, error) {
	tmp, err := os.CreateTemp(dir, "layer-")
	if err != nil {
		return descriptor{}, "", err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	blob := sha256.New()
	counter := &countingWriter{w: io.MultiWriter(tmp, blob)}
	zw := gzip.NewWriter(counter)
	diff := sha256.New()
	tw := tar.NewWriter(io.MultiWriter(zw, diff))
	if err := fill(tw); err != nil {
		return descriptor{}, "", err
	}
	if err := tw.Close(); err != nil {
		return descriptor{}, "", err
	}
	if err := zw.Close(); err != nil {
		return descriptor{}, "", err
	}
	d := descriptor{MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", Digest: sum(blob), Size: counter.n}
	if err := os.Rename(tmp.Name(), blobPath(dir, d.Digest)); err != nil {
		return descriptor{}, "", err
	}
	return d, sum(diff), nil
}

func writeBlob(dir, mediaType string, b []byte) (descriptor, error) {
	h := sha256.Sum256(b)
	d := descriptor{MediaType: mediaType, Digest: "sha256:" + hex.EncodeToString(h[:]), Size: int64(len(b))}
	return d, os.WriteFile(blobPath(dir, d.Digest), b, 0o644)
}

func blobPath(dir, dgst string) string {
	return filepath.Join(dir, "blobs", "sha256", strings.TrimPrefix(dgst, "sha256:"))
}

func sum(h hash.Hash) string { return "sha256:" + hex.EncodeToString(h.Sum(nil)) }

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
