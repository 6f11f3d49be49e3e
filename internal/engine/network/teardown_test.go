package network

import "testing"

// TestDelNeedsNetNS: the namespace may go before DEL only when every
// attachment has the network's NAT rule and no tuning.
func TestDelNeedsNetNS(t *testing.T) {
	plain := Attachment{NetworkNAT: true}
	for _, c := range []struct {
		name string
		as   []Attachment
		want bool
	}{
		{"none", nil, false},
		{"plain", []Attachment{plain}, false},
		{"plain, with ports and firewall", []Attachment{{NetworkNAT: true, FirewallAfter: true, Ports: []PortMapping{{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}}}}, false},
		{"ipMasq record", []Attachment{plain, {}}, true},
		{"mac address", []Attachment{{NetworkNAT: true, RequestedMAC: "02:42:ac:11:00:02"}}, true},
	} {
		if got := DelNeedsNetNS(c.as); got != c.want {
			t.Errorf("%s: DelNeedsNetNS = %v, want %v", c.name, got, c.want)
		}
	}
}
