package container

import (
	"errors"
	"strings"
	"testing"

	"github.com/cais-project/cais/internal/errdefs"
)

func TestCheckID(t *testing.T) {
	for _, id := range []string{"a", "Z9", "web-1", "a_b+c.d", "0abc", strings.Repeat("x", 1024)} {
		if err := checkID(id); err != nil {
			t.Errorf("checkID(%q): %v", id, err)
		}
	}
	for _, id := range []string{"", "-a", ".a", "_a", "+a", "a/b", "a b", "..", "é", "a\x00", strings.Repeat("x", 1025)} {
		if err := checkID(id); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("checkID(%q) = %v, want invalid argument", id, err)
		}
	}
}
