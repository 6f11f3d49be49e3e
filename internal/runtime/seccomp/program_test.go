package seccomp

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestProgramLoadRejectsMalformed checks a program that is not whole BPF
// instructions is refused before seccomp(2), with Load's usual wording.
func TestProgramLoadRejectsMalformed(t *testing.T) {
	for _, bpf := range [][]byte{nil, make([]byte, 7), make([]byte, 8*0x10000)} {
		fd, err := (&Program{BPF: bpf, Flags: unix.SECCOMP_FILTER_FLAG_TSYNC}).Load()
		if fd != -1 || !errors.Is(err, unix.EINVAL) || !strings.HasPrefix(err.Error(), "loading seccomp filter: ") {
			t.Errorf("Load of %d bytes = %d, %v; want -1 and EINVAL", len(bpf), fd, err)
		}
	}
}
