package cli_test

import (
	"net"
	"strings"
	"testing"

	"github.com/cais-project/cais/internal/fixture"
)

// TestBadInputs checks exit codes and messages of refused commands, and
// that none of them changes what `images` says.
func TestBadInputs(t *testing.T) {
	e := newEnv(t)
	reg := fixture.Registry(t)
	push(t, reg+"/cais/ok:v1", testImage(t, 64<<10, 1))
	e.must("pull", "-q", reg+"/cais/ok:v1")
	before := e.must("images", "--no-trunc")

	// A port nothing listens on: bind one, note it, close it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()

	cases := []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"bad reference", []string{"pull", "UPPER/Case:x"}, 1, "cais: reference \"UPPER/Case:x\""},
		{"unknown tag", []string{"pull", reg + "/cais/ok:nosuch"}, 1, "not found"},
		{"unknown repository", []string{"pull", reg + "/cais/nosuch"}, 1, "not found"},
		{"closed port", []string{"pull", closed + "/cais/ok:v1"}, 1, "connection refused"},
		{"bad platform", []string{"pull", "--platform", "no/such/thing/at/all", reg + "/cais/ok:v1"}, 1, "platform"},
		{"pull without argument", []string{"pull"}, 1, "requires exactly 1 argument"},
		{"unknown flag", []string{"images", "--bogus"}, 125, "unknown flag: --bogus"},
		{"bad filter", []string{"images", "--filter", "nope=1"}, 125, "invalid filter 'nope'"},
		{"bad template", []string{"images", "--format", "{{.Nope"}, 125, "template"},
		{"rmi unknown", []string{"rmi", "nosuch:latest"}, 1, "no such image"},
		{"tag unknown", []string{"tag", "nosuch:latest", "x:y"}, 1, "no such image"},
		{"tag to digest", []string{"tag", reg + "/cais/ok:v1", "x@sha256:" + strings.Repeat("a", 64)}, 1, "digest"},
		{"inspect unknown", []string{"image", "inspect", "nosuch"}, 1, "no such image"},
		{"history unknown", []string{"history", "nosuch"}, 1, "no such image"},
		{"push unknown", []string{"push", reg + "/cais/nosuch:v1"}, 1, "not found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.run(c.args...)
			if r.code != c.code || !strings.Contains(r.stderr, c.want) {
				t.Errorf("cais %v: exit %d, stderr %q; want exit %d and %q", c.args, r.code, r.stderr, c.code, c.want)
			}
			if c.code == 1 && !strings.HasPrefix(r.stderr, "cais: ") {
				t.Errorf("stderr %q does not start with \"cais: \"", r.stderr)
			}
			if after := e.must("images", "--no-trunc"); after != before {
				t.Errorf("images changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
	t.Run("inspect of a known and an unknown image", func(t *testing.T) {
		r := e.run("image", "inspect", "--format", "{{.RepoTags}}", reg+"/cais/ok:v1", "nosuch")
		if r.code != 1 || r.stdout != "["+reg+"/cais/ok:v1]\n" || !strings.Contains(r.stderr, "no such image") {
			t.Errorf("inspect: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
	})
}
