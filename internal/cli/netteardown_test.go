package cli_test

import (
	"github.com/cais-project/cais/internal/engine/network"
)

// removeNetworks removes every network of the env's root, the default one
// included: its record, bridge and masquerade rule. A network's bridge and
// rule outlive its containers, as Docker's do (docker0 for as long as the
// daemon's state), so a test root that ran a container would otherwise
// leave them on the host. newEnv registers it, so it runs after the test's
// own cleanups (leak checks that expect the bridge of a network still there
// among them).
func (e *env) removeNetworks() {
	e.t.Helper()
	st := &network.Store{Root: e.root, RunRoot: e.runRoot}
	all, err := st.List()
	if err != nil {
		e.t.Errorf("listing the networks of %s: %v", e.root, err)
		return
	}
	for _, n := range all {
		if err := st.Remove(n); err != nil {
			e.t.Errorf("removing network %s: %v", n.Name, err)
		}
	}
}
