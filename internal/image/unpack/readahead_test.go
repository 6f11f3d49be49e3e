package unpack

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
)

// TestReadAhead: the consumer sees exactly the source's bytes and its
// error, whatever the read sizes; Close stops a reader left half-way.
func TestReadAhead(t *testing.T) {
	src := make([]byte, 1<<20+123)
	for i := range src {
		src[i] = byte(rand.IntN(256))
	}
	for _, size := range []int{1, 7, 4096, 1 << 20, 4 << 20} {
		ra := newReadAhead(iotest.HalfReader(bytes.NewReader(src)), size, 3)
		got, err := io.ReadAll(iotest.OneByteReader(io.LimitReader(ra, 1000)))
		if err != nil || !bytes.Equal(got, src[:1000]) {
			t.Fatalf("size %d: first 1000 bytes differ (err %v)", size, err)
		}
		rest, err := io.ReadAll(ra)
		if err != nil || !bytes.Equal(rest, src[1000:]) {
			t.Fatalf("size %d: rest differs (err %v, %d bytes)", size, err, len(rest))
		}
		ra.Close()
	}
	boom := errors.New("boom")
	ra := newReadAhead(io.MultiReader(bytes.NewReader(src[:10]), iotest.ErrReader(boom)), 4, 2)
	got, err := io.ReadAll(ra)
	if !errors.Is(err, boom) || !bytes.Equal(got, src[:10]) {
		t.Errorf("ReadAll = %d bytes, %v; want 10 bytes then boom", len(got), err)
	}
	ra.Close()
	half := newReadAhead(bytes.NewReader(src), 16, 2)
	if _, err := half.Read(make([]byte, 5)); err != nil {
		t.Fatal(err)
	}
	half.Close() // must return although the filler is blocked on a full queue
}
