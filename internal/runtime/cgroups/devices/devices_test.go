package devices

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/errdefs"
)

func ptr[T any](v T) *T { return &v }

func TestFromSpec(t *testing.T) {
	got, err := FromSpec([]specs.LinuxDeviceCgroup{
		{Allow: false},
		{Allow: true, Type: "c", Major: ptr[int64](1), Minor: ptr[int64](3), Access: "rw"},
		{Allow: true, Type: "b", Major: ptr[int64](8), Access: "m"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []Rule{
		{Allow: false, Type: 'a', Major: Wildcard, Minor: Wildcard, Access: Read | Write | Mknod},
		{Allow: true, Type: 'c', Major: 1, Minor: 3, Access: Read | Write},
		{Allow: true, Type: 'b', Major: 8, Minor: Wildcard, Access: Mknod},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FromSpec (-want +got):\n%s", diff)
	}
}

func TestFromSpecErrors(t *testing.T) {
	tests := []struct {
		name  string
		rule  specs.LinuxDeviceCgroup
		field string
	}{
		{"type", specs.LinuxDeviceCgroup{Type: "p"}, "linux.resources.devices[0].type"},
		{"access", specs.LinuxDeviceCgroup{Access: "rx"}, "linux.resources.devices[0].access"},
		{"major", specs.LinuxDeviceCgroup{Major: ptr[int64](-2)}, "linux.resources.devices[0].major"},
		{"minor", specs.LinuxDeviceCgroup{Minor: ptr[int64](1 << 40)}, "linux.resources.devices[0].minor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromSpec([]specs.LinuxDeviceCgroup{tt.rule})
			if !errors.Is(err, errdefs.ErrInvalidArgument) || err == nil || !strings.Contains(err.Error(), tt.field) {
				t.Errorf("FromSpec error = %v, want InvalidArgument naming %s", err, tt.field)
			}
		})
	}
}

func TestV1Lines(t *testing.T) {
	rules := []Rule{
		{Allow: false, Type: 'a', Major: Wildcard, Minor: Wildcard, Access: Read | Write | Mknod},
		{Allow: true, Type: 'c', Major: 1, Minor: 3, Access: Read | Write | Mknod},
		{Allow: true, Type: 'a', Major: Wildcard, Minor: Wildcard, Access: Mknod},
		{Allow: false, Type: 'b', Major: 8, Minor: Wildcard, Access: Write},
		{Allow: true, Type: 'a', Major: Wildcard, Minor: Wildcard, Access: Read | Write | Mknod},
	}
	want := []V1Line{
		{"devices.deny", "a"},
		{"devices.allow", "c 1:3 rwm"},
		{"devices.allow", "c *:* m"},
		{"devices.allow", "b *:* m"},
		{"devices.deny", "b 8:* w"},
		{"devices.allow", "a"},
	}
	if diff := cmp.Diff(want, V1Lines(rules)); diff != "" {
		t.Errorf("V1Lines (-want +got):\n%s", diff)
	}
}
