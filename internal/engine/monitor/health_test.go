package monitor

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cais-project/cais/internal/engine/ocicli"
	"github.com/cais-project/cais/internal/errdefs"
)

// TestHealthConfigArgs: Docker's three test forms, and bad ones refused.
func TestHealthConfigArgs(t *testing.T) {
	for _, c := range []struct {
		test []string
		want []string
		bad  bool
	}{
		{[]string{"CMD", "curl", "-f", "x"}, []string{"curl", "-f", "x"}, false},
		{[]string{"CMD-SHELL", "exit 1"}, []string{"/bin/sh", "-c", "exit 1"}, false},
		{[]string{"NONE"}, nil, false},
		{nil, nil, false},
		{[]string{"CMD"}, nil, true},
		{[]string{"CMD-SHELL", "a", "b"}, nil, true},
		{[]string{"RUN", "x"}, nil, true},
	} {
		got, err := HealthConfig{Test: c.test}.args()
		if c.bad {
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Errorf("args(%q): %v, want an invalid-argument error", c.test, err)
			}
			continue
		}
		if err != nil || !cmp.Equal(got, c.want) {
			t.Errorf("args(%q) = %q, %v; want %q", c.test, got, err, c.want)
		}
	}
	d := HealthConfig{}.withDefaults()
	if d.Interval != 30*time.Second || d.Timeout != 30*time.Second || d.Retries != 3 || d.StartPeriod != 0 {
		t.Errorf("defaults: %+v, want Docker's 30s/30s/3/0", d)
	}
}

// TestHealthConfigCommandLine: the check travels on the monitor's
// command line and back unchanged.
func TestHealthConfigCommandLine(t *testing.T) {
	h := &HealthConfig{Test: []string{"CMD-SHELL", "test -f /ok"}, Interval: time.Second, Timeout: 2 * time.Second, StartPeriod: 3 * time.Second, Retries: 4}
	c := Config{ID: "x", Bundle: "/b", Dir: "/d", Runtime: ocicli.Runtime{Path: "/r"}, Health: h}
	got, err := ParseArgs(c.Args(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(got.Health, h) {
		t.Errorf("health after Args/ParseArgs: %+v, want %+v", got.Health, h)
	}
	c.Health = nil
	if got, _ := ParseArgs(c.Args(), io.Discard); got.Health != nil {
		t.Errorf("no health: got %+v", got.Health)
	}
}
