package cli_test

import (
	"strings"
	"testing"
)

// TestFlagsStringListsKeepValues checks that repeatable string flags keep
// each value whole, commas included, and in order, as pflag's StringArray
// did before cais registered its own list value: what the process inside
// sees, and what inspect and ps report.
func TestFlagsStringListsKeepValues(t *testing.T) {
	e, name := runEnv(t)
	out := e.must("run", "--rm", "--name", name, "--network", "none",
		"-e", "A=1,2", "-e", "B=3", "--env", "C=a,b,c",
		"--dns-search", "a.example", "--dns-search", "b.example",
		"--tmpfs", "/scratch:size=1m,mode=1777",
		"busybox:test", "sh", "-c", `echo "$A|$B|$C"; grep ^search /etc/resolv.conf; stat -c %a /scratch; df -k /scratch | tail -1 | awk '{print $2}'`)
	if want := "1,2|3|a,b,c\nsearch a.example b.example\n1777\n1024\n"; out != want {
		t.Errorf("run with -e A=1,2 -e B=3 --env C=a,b,c, two --dns-search, --tmpfs with options: got\n%q\nwant\n%q", out, want)
	}

	e.must("create", "--name", name, "--network", "none", "--label", "x=1,2", "-l", "y=3", "busybox:test", "true")
	if got := e.must("inspect", "--format", "{{json .Config.Labels}}", name); strings.TrimSpace(got) != `{"x":"1,2","y":"3"}` {
		t.Errorf("labels of --label x=1,2 -l y=3: %s", got)
	}
	// Two filters both apply; a filter value with a comma stays whole and
	// so matches nothing.
	if got := e.must("ps", "-a", "--filter", "name="+name, "--filter", "status=created", "--format", "{{.Names}}"); strings.TrimSpace(got) != name {
		t.Errorf("ps --filter name= --filter status=created: %q, want %q", got, name)
	}
	if got := e.must("ps", "-a", "--filter", "name="+name+",x", "--format", "{{.Names}}"); strings.TrimSpace(got) != "" {
		t.Errorf("ps --filter name=%s,x: %q, want nothing (the comma is part of the name)", name, got)
	}
	e.must("rm", name)
}
