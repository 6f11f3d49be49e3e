package archive

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// Decompress returns the uncompressed stream of r and the OCI layer media
// type matching what it found: ocispec.MediaTypeImageLayerGzip,
// ocispec.MediaTypeImageLayerZstd, or ocispec.MediaTypeImageLayer when r does
// not start with a gzip or zstd magic number (it is then passed through).
//
// It streams: nothing beyond a small read buffer is held in memory. Closing
// the returned reader releases the decompressor; it does not close r.
func Decompress(r io.Reader) (io.ReadCloser, string, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, err := br.Peek(len(zstdMagic))
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, "", fmt.Errorf("reading layer header: %w", err)
	}
	switch {
	case bytes.HasPrefix(magic, gzipMagic):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, "", fmt.Errorf("opening gzip stream: %w", err)
		}
		return zr, ocispec.MediaTypeImageLayerGzip, nil
	case bytes.HasPrefix(magic, zstdMagic):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, "", fmt.Errorf("opening zstd stream: %w", err)
		}
		return zstdCloser{zr}, ocispec.MediaTypeImageLayerZstd, nil
	default:
		return io.NopCloser(br), ocispec.MediaTypeImageLayer, nil
	}
}

// zstdCloser adapts zstd.Decoder, whose Close returns nothing.
type zstdCloser struct{ d *zstd.Decoder }

func (z zstdCloser) Read(p []byte) (int, error) { return z.d.Read(p) }

func (z zstdCloser) Close() error {
	z.d.Close()
	return nil
}
