package archive_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/cais-project/cais/internal/image/archive"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestDecompress(t *testing.T) {
	plain := layer(t, reg("a", "hello", 0o644))
	gz := func() []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write(plain)
		w.Close()
		return b.Bytes()
	}
	zs := func() []byte {
		var b bytes.Buffer
		w, _ := zstd.NewWriter(&b)
		w.Write(plain)
		w.Close()
		return b.Bytes()
	}
	tests := []struct {
		name      string
		in        []byte
		wantType  string
		wantBytes []byte
	}{
		{"gzip", gz(), ocispec.MediaTypeImageLayerGzip, plain},
		{"zstd", zs(), ocispec.MediaTypeImageLayerZstd, plain},
		{"plain", plain, ocispec.MediaTypeImageLayer, plain},
		{"empty", nil, ocispec.MediaTypeImageLayer, nil},
		{"short", []byte{0x1f}, ocispec.MediaTypeImageLayer, []byte{0x1f}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rc, mt, err := archive.Decompress(bytes.NewReader(tc.in))
			if err != nil {
				t.Fatalf("Decompress: %v", err)
			}
			defer rc.Close()
			got, err := io.ReadAll(rc)
			if err != nil {
				t.Fatalf("reading: %v", err)
			}
			if mt != tc.wantType {
				t.Errorf("media type = %q, want %q", mt, tc.wantType)
			}
			if !bytes.Equal(got, tc.wantBytes) {
				t.Errorf("got %d bytes, want %d", len(got), len(tc.wantBytes))
			}
		})
	}
	if _, _, err := archive.Decompress(bytes.NewReader([]byte{0x1f, 0x8b, 0, 0})); err == nil {
		t.Error("Decompress of a broken gzip header succeeded")
	}
}
