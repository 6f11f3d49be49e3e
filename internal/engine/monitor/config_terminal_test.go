package monitor

import (
	"io"
	"testing"

	"github.com/cais-project/cais/internal/engine/ocicli"
)

// TestTerminalCommandLine: a known terminal setting travels on the
// command line (the monitor then does not read the bundle for it), and
// an unknown one stays unknown.
func TestTerminalCommandLine(t *testing.T) {
	yes, no := true, false
	for _, want := range []*bool{nil, &yes, &no} {
		c := Config{ID: "x", Bundle: "/b", Dir: "/d", Runtime: ocicli.Runtime{Path: "/r"}, Terminal: want}
		got, err := ParseArgs(c.Args(), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if (got.Terminal == nil) != (want == nil) || (want != nil && *got.Terminal != *want) {
			t.Errorf("terminal %v after Args/ParseArgs: %v", want, got.Terminal)
		}
	}
	if _, err := ParseArgs([]string{"--id", "x", "--bundle", "/b", "--dir", "/d", "--runtime", "/r", "--terminal=maybe"}, io.Discard); err == nil {
		t.Error("--terminal=maybe accepted")
	}
}
