package network

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestConfListNATMode: new attachments leave NAT to the network's rule
// (ipMasq off); an attachment recorded before (NetworkNAT unset, as old
// records read) gets ipMasq again, so its DEL removes the chain its ADD
// made; an internal network never masquerades. The masquerade rule is
// Docker's shape and names the network.
func TestConfListNATMode(t *testing.T) {
	s := &Store{Root: t.TempDir(), RunRoot: "/run/x"}
	n := &Network{Name: "n", ID: strings.Repeat("cd", 32), Bridge: "cais-cdcdcdcd",
		IPAM: IPAM{Subnet: "10.89.3.0/24", Gateway: "10.89.3.1"}}
	var old Attachment
	if err := json.Unmarshal([]byte(`{"network":"n","ifName":"eth0","firewall":false}`), &old); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		internal bool
		a        Attachment
		want     string
	}{
		{false, Attachment{NetworkNAT: true}, `"ipMasq":false`},
		{false, old, `"ipMasq":true`},
		{true, old, `"ipMasq":false`},
		{true, Attachment{NetworkNAT: true}, `"ipMasq":false`},
	} {
		n.Internal = c.internal
		b, err := s.confList(n, c.a)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), c.want) {
			t.Errorf("internal=%v NetworkNAT=%v: want %s in\n%s", c.internal, c.a.NetworkNAT, c.want, b)
		}
	}
	want := "POSTROUTING -s 10.89.3.0/24 ! -o cais-cdcdcdcd -m comment --comment cais-cdcdcdcdcdcd -j MASQUERADE"
	if got := strings.Join(masqSpec(n), " "); got != want {
		t.Errorf("masquerade rule: %q, want %q", got, want)
	}
	b, _ := json.Marshal(Attachment{NetworkNAT: true})
	if !strings.Contains(string(b), `"networkNat":true`) {
		t.Errorf("NetworkNAT not recorded: %s", b)
	}
}
