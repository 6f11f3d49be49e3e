package monitor_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cais-project/cais/internal/engine/monitor"
)

// TestRemovalClaim: while a removal claim is held at the exit, a --rm
// monitor reports the exit and deletes the container in the runtime
// (AwaitDelete says when that is done) without running its cleanup
// command; once the claim ends it cleans up only if the record is still
// there. A claim dropped before the exit changes nothing.
func TestRemovalClaim(t *testing.T) {
	cases := []struct {
		name          string
		removeRecord  bool // the claimant removes the container
		releaseEarly  bool // the claimant goes before the exit
		wantCleanup   bool
		wantRemovedSt bool // Status.Removed in the final status
	}{
		{name: "claimant-removes", removeRecord: true},
		{name: "claimant-dies-after-exit", wantCleanup: true},
		{name: "claimant-dies-before-exit", releaseEarly: true, wantCleanup: true, wantRemovedSt: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, "cais-runtime")
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cfg := e.config("sleep 0.3; exit 3")
			marker := filepath.Join(e.dir, "cleaned")
			cfg.Remove = true
			cfg.Cleanup = []string{"/bin/sh", "-c", `echo "$CAIS_CONTAINER_ID" > ` + marker}
			cfg.Record = filepath.Join(t.TempDir(), "record")
			if err := os.WriteFile(cfg.Record, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			c := e.spawn(cfg)
			claim, err := c.ClaimRemoval(ctx)
			if err != nil {
				t.Fatalf("ClaimRemoval: %v", err)
			}
			defer claim.Release()
			if tc.releaseEarly {
				claim.Release()
			}
			if _, err := c.Start(ctx); err != nil {
				t.Fatalf("Start: %v", err)
			}
			st := e.wait(c)
			if st.ExitCode != 3 || st.Removed != tc.wantRemovedSt || st.Error != "" {
				t.Errorf("final status %+v; want exit 3, removed %v, no error", st, tc.wantRemovedSt)
			}
			if !tc.releaseEarly {
				// The exit is reported, the container is left to us.
				if _, err := os.Stat(marker); err == nil {
					t.Errorf("cleanup command ran while the claim was held")
				}
				if err := c.AwaitDelete(ctx); err != nil {
					t.Errorf("AwaitDelete while claimed: %v", err)
				}
				if l, err := e.rt.List(ctx); err != nil || len(l) != 0 {
					t.Errorf("runtime list after AwaitDelete: %v, %v; want the container deleted", l, err)
				}
				if _, err := c.ClaimRemoval(ctx); err == nil {
					t.Errorf("a claim after the exit was accepted")
				}
				if tc.removeRecord {
					os.Remove(cfg.Record)
				}
				claim.Release()
			}
			eventually(t, func() bool { return !monitor.Alive(e.dir) })
			b, err := os.ReadFile(marker)
			if tc.wantCleanup != (err == nil) || (err == nil && string(b) != e.name+"\n") {
				t.Errorf("cleanup command wrote %q (%v); want it run: %v", b, err, tc.wantCleanup)
			}
			if l, err := e.rt.List(ctx); err != nil || len(l) != 0 {
				t.Errorf("runtime list at the end: %v, %v; want empty", l, err)
			}
		})
	}
}

// TestRemovalClaimRefused: a monitor without --rm refuses a claim.
func TestRemovalClaimRefused(t *testing.T) {
	e := newEnv(t, "cais-runtime")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := e.config("exit 0")
	c := e.spawn(cfg)
	if _, err := c.ClaimRemoval(ctx); err == nil {
		t.Errorf("ClaimRemoval without --rm succeeded")
	}
	if _, err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if st := e.wait(c); st.ExitCode != 0 || st.Removed {
		t.Errorf("final status %+v", st)
	}
	// Nothing was claimed: the monitor deleted nothing for anyone.
	if err := c.AwaitDelete(ctx); err == nil {
		t.Errorf("AwaitDelete of an unclaimed container succeeded")
	}
}
