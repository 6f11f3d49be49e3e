package cli

import (
	"errors"
	"strings"
	"testing"

	"github.com/cais-project/cais/internal/errdefs"
)

func TestParseMemory(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"-1", -1},
		{"0", 0},
		{"4096", 4096},
		{"100b", 100},
		{"64k", 64 << 10},
		{"64m", 64 << 20},
		{"64M", 64 << 20},
		{"64MB", 64 << 20},
		{"64MiB", 64 << 20},
		{"64 mb", 64 << 20},
		{"1.5g", 3 << 29},
		{"2t", 2 << 40},
		{"1p", 1 << 50},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseMemory(tc.in)
			if err != nil || got != tc.want {
				t.Fatalf("parseMemory(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
			}
		})
	}
	for _, bad := range []string{"", "1x", "m", "-2", "1.2.3", "1..", ".5m", "64mm", "1e3", "99999999p", " 5"} {
		t.Run("bad "+bad, func(t *testing.T) {
			if got, err := parseMemory(bad); !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("parseMemory(%q) = %d, %v; want an invalid-argument error", bad, got, err)
			}
		})
	}
}

func TestFilterPS(t *testing.T) {
	psOut := "UID          PID    PPID  C STIME TTY          TIME CMD\n" +
		"root           1       0  0 10:00 ?        00:00:01 /sbin/init\n" +
		"root         100       1  0 10:00 ?        00:00:00 sleep 1000\n" +
		"root         101     100  0 10:00 ?        00:00:00 sleep 100 1\n" +
		"root        1001       1  0 10:00 ?        00:00:00 other\n"
	tests := []struct {
		name string
		out  string
		pids []int
		want string
	}{
		{"filters by the PID column", psOut, []int{100, 101},
			"UID          PID    PPID  C STIME TTY          TIME CMD\n" +
				"root         100       1  0 10:00 ?        00:00:00 sleep 1000\n" +
				"root         101     100  0 10:00 ?        00:00:00 sleep 100 1\n"},
		{"no pids keeps the header", psOut, nil, "UID          PID    PPID  C STIME TTY          TIME CMD\n"},
		{"PID first (ps -o pid,comm)", "  PID COMMAND\n  100 sleep\n    1 init\n", []int{100}, "  PID COMMAND\n  100 sleep\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			if err := filterPS(&b, []byte(tc.out), tc.pids); err != nil {
				t.Fatal(err)
			}
			if b.String() != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", b.String(), tc.want)
			}
		})
	}
	if err := filterPS(&strings.Builder{}, []byte("COMMAND\nsleep\n"), []int{1}); err == nil {
		t.Error("ps output without a PID column: no error")
	}
}
