package overlay_test

import (
	"context"
	"github.com/google/go-cmp/cmp"
	"os"
	"path/filepath"
	"testing"

	"github.com/cais-project/cais/internal/image/snapshots"
	"github.com/cais-project/cais/internal/image/snapshots/overlay"
	"github.com/cais-project/cais/internal/image/snapshots/testsuite"
	"github.com/cais-project/cais/internal/testgate"
)

func TestConformance(t *testing.T) {
	testgate.Root(t)
	testgate.Overlay(t)
	testsuite.Run(t, func(t *testing.T, root string) snapshots.Snapshotter {
		sn, err := overlay.New(root)
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		return sn
	})
}

// TestReopenCleansLeftovers: records survive Close, and directories a crash
// left without a record are removed at the next New.
func TestReopenCleansLeftovers(t *testing.T) {
	testgate.Root(t)
	ctx := context.Background()
	root := t.TempDir()
	sn, err := overlay.New(root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sn.Prepare(ctx, "kept", ""); err != nil {
		t.Fatal(err)
	}
	if err := sn.Close(); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"new-123", "rm-7", "999"} {
		if err := os.MkdirAll(filepath.Join(root, "snapshots", d, "fs"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	sn, err = overlay.New(root)
	if err != nil {
		t.Fatal(err)
	}
	defer sn.Close()
	if _, err := sn.Stat(ctx, "kept"); err != nil {
		t.Errorf("Stat after reopen: %v", err)
	}
	entries, err := os.ReadDir(filepath.Join(root, "snapshots"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if diff := cmp.Diff([]string{"1"}, got); diff != "" {
		t.Errorf("snapshot dirs after reopen (-want +got):\n%s", diff)
	}
}
