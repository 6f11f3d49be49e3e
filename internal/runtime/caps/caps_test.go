package caps

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/errdefs"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name         string
		caps         *specs.LinuxCapabilities
		lastCap      int
		want         masks
		wantWarnings []string
		wantErr      string
	}{
		{
			name:    "nil config gives empty sets",
			lastCap: 40,
		},
		{
			name: "each set parsed on its own",
			caps: &specs.LinuxCapabilities{
				Bounding:    []string{"CAP_CHOWN", "CAP_KILL"},
				Effective:   []string{"CAP_KILL"},
				Permitted:   []string{"CAP_KILL", "CAP_NET_ADMIN"},
				Inheritable: []string{"CAP_SYS_ADMIN"},
				Ambient:     []string{"CAP_CHECKPOINT_RESTORE"},
			},
			lastCap: 40,
			want: masks{
				Bnd: 1<<0 | 1<<5,
				Eff: 1 << 5,
				Prm: 1<<5 | 1<<12,
				Inh: 1 << 21,
				Amb: 1 << 40,
			},
		},
		{
			name:    "duplicates are harmless",
			caps:    &specs.LinuxCapabilities{Bounding: []string{"CAP_KILL", "CAP_KILL"}},
			lastCap: 40,
			want:    masks{Bnd: 1 << 5},
		},
		{
			name:    "unknown name in bounding",
			caps:    &specs.LinuxCapabilities{Bounding: []string{"CAP_CHOWN", "CAP_FOO"}},
			lastCap: 40,
			wantErr: `process.capabilities.bounding: unknown capability "CAP_FOO": invalid argument`,
		},
		{
			name:    "names are case sensitive and need the prefix",
			caps:    &specs.LinuxCapabilities{Ambient: []string{"NET_ADMIN"}},
			lastCap: 40,
			wantErr: `process.capabilities.ambient: unknown capability "NET_ADMIN": invalid argument`,
		},
		{
			name: "capabilities above the kernel's last are dropped with a warning",
			caps: &specs.LinuxCapabilities{
				Bounding:  []string{"CAP_CHOWN", "CAP_BPF", "CAP_PERFMON"},
				Effective: []string{"CAP_CHECKPOINT_RESTORE"},
			},
			lastCap: 38,
			want:    masks{Bnd: 1<<0 | 1<<38},
			wantWarnings: []string{
				"process.capabilities.bounding: ignoring CAP_BPF, unknown to the running kernel (its last capability is 38)",
				"process.capabilities.effective: ignoring CAP_CHECKPOINT_RESTORE, unknown to the running kernel (its last capability is 38)",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, warnings, err := parse(tt.caps, tt.lastCap)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("parse() error = %v, want %q", err, tt.wantErr)
				}
				if !errors.Is(err, errdefs.ErrInvalidArgument) {
					t.Errorf("parse() error %v is not ErrInvalidArgument", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parse() error = %v", err)
			}
			got := masks{Bnd: s.bounding, Eff: s.effective, Prm: s.permitted, Inh: s.inheritable, Amb: s.ambient}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parse() masks (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantWarnings, warnings); diff != "" {
				t.Errorf("parse() warnings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNameTable checks the table against the kernel's own numbering and
// that every number up to CAP_CHECKPOINT_RESTORE has exactly one name.
func TestNameTable(t *testing.T) {
	seen := map[int]string{}
	for name, n := range byName {
		if other, ok := seen[n]; ok {
			t.Errorf("capability %d named both %s and %s", n, name, other)
		}
		seen[n] = name
	}
	for n := 0; n <= 40; n++ {
		if _, ok := seen[n]; !ok {
			t.Errorf("capability %d has no name", n)
		}
	}
	if got := byName["CAP_SYS_ADMIN"]; got != 21 {
		t.Errorf("CAP_SYS_ADMIN = %d, want 21", got)
	}
}

// The bisection finds the number the kernel publishes in procfs.
func TestKernelLastCapMatchesProcfs(t *testing.T) {
	b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err != nil {
		t.Fatal(err)
	}
	want, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := kernelLastCap()
	if err != nil || got != want {
		t.Fatalf("kernelLastCap() = %d, %v; /proc/sys/kernel/cap_last_cap says %d", got, err, want)
	}
}

// masks are the five capability sets as /proc/<pid>/status shows them.
type masks struct {
	Inh, Prm, Eff, Bnd, Amb uint64
}
