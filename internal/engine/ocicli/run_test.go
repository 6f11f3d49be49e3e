package ocicli_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/engine/ocicli"
	"github.com/cais-project/cais/internal/fixture"
)

// TestRunDetach: Run creates and starts in one call: the container is
// running when it returns, with the pid file written and its output in
// the files given.
func TestRunDetach(t *testing.T) {
	for rtName, bin := range runtimes(t) {
		t.Run(rtName, func(t *testing.T) {
			ctx := context.Background()
			r, id := setup(t, bin)
			bundle := fixture.Bundle(t, func(s *specs.Spec) {
				s.Process.Args = []string{"sh", "-c", "echo out; echo err >&2; exec sleep 1000"}
			})
			dir := t.TempDir()
			out, errf := tempFile(t, dir, "out"), tempFile(t, dir, "err")
			pidFile := filepath.Join(dir, "pid")
			if err := r.Run(ctx, id, bundle, ocicli.CreateOpts{PidFile: pidFile, IO: &ocicli.IO{Stdout: out, Stderr: errf}}); err != nil {
				t.Fatalf("Run: %v", err)
			}
			st, err := r.State(ctx, id)
			if err != nil || st.Status != specs.StateRunning {
				t.Fatalf("State after Run = %+v, %v; want running", st, err)
			}
			if b, _ := os.ReadFile(pidFile); strings.TrimSpace(string(b)) != strconv.Itoa(st.Pid) {
				t.Errorf("pid file %q, state pid %d", b, st.Pid)
			}
			waitFor(t, func() bool { b, _ := os.ReadFile(out.Name()); return string(b) == "out\n" })
			waitFor(t, func() bool { b, _ := os.ReadFile(errf.Name()); return string(b) == "err\n" })
		})
	}
}

// TestRunFailuresMapToExitCodes: a program Run cannot start gives the
// same 127/126 as a failed Create.
func TestRunFailuresMapToExitCodes(t *testing.T) {
	for rtName, bin := range runtimes(t) {
		for _, tc := range unstartable {
			t.Run(rtName+"/"+tc.name, func(t *testing.T) {
				r, id := setup(t, bin)
				bundle := fixture.Bundle(t, func(s *specs.Spec) { s.Process.Args = tc.args })
				err := r.Run(context.Background(), id, bundle, ocicli.CreateOpts{})
				if got := ocicli.ExitCode(err); got != tc.want || !strings.Contains(err.Error(), tc.args[0]) {
					t.Errorf("Run: ExitCode(%v) = %d, want %d and the program named", err, got, tc.want)
				}
				if l, _ := r.List(context.Background()); len(l) != 0 {
					t.Errorf("List after a failed Run = %v, want empty", l)
				}
			})
		}
	}
}
