package cli_test

import (
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// The process gets exactly the supplementary groups the config lists,
// with its uid and gid.
func TestRunUserAdditionalGids(t *testing.T) {
	r := newRT(t)
	b := r.bundle(`grep -E '^(Uid|Gid|Groups):' /proc/self/status`, func(s *specs.Spec) {
		s.Process.User = specs.User{UID: 1000, GID: 1001, AdditionalGids: []uint32{10, 20}}
	})
	out := r.must("run", "--bundle", b, r.name)
	for _, want := range []string{"Uid:\t1000\t1000\t1000\t1000\n", "Gid:\t1001\t1001\t1001\t1001\n", "Groups:\t10 20 \n"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
}

// Without additionalGids the process has no supplementary group, not the
// runtime's (root's 0).
func TestRunUserNoAdditionalGids(t *testing.T) {
	r := newRT(t)
	b := r.bundle(`grep -E '^Groups:' /proc/self/status`)
	if out := r.must("run", "--bundle", b, r.name); out != "Groups:\t \n" {
		t.Errorf("status says %q, want no groups", out)
	}
}
