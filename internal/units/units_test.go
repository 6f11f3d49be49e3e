package units

import "testing"

func TestRAMInBytes(t *testing.T) {
	good := map[string]int64{
		"-1": -1, "0": 0, "4096": 4096, "100b": 100, "64k": 64 << 10, "64m": 64 << 20,
		"64M": 64 << 20, "64MB": 64 << 20, "64MiB": 64 << 20, "64 mb": 64 << 20,
		"1.5g": 3 << 29, "2t": 2 << 40, "1p": 1 << 50,
	}
	for in, want := range good {
		if got, err := RAMInBytes(in); err != nil || got != want {
			t.Errorf("RAMInBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "1x", "m", "-2", "1.2.3", "1..", ".5m", "64mm", "1e3", "99999999p", " 5"} {
		if got, err := RAMInBytes(bad); err == nil {
			t.Errorf("RAMInBytes(%q) = %d, want an error", bad, got)
		}
	}
}
