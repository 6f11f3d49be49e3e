package cli

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestCommandTable checks that every node of the lazy command tree lists
// exactly the names and aliases of the commands it builds, so a branch
// selected by name is the branch cobra would have found in the whole tree.
func TestCommandTable(t *testing.T) {
	g := &globals{}
	var walk func(prefix string, nodes []node)
	walk = func(prefix string, nodes []node) {
		seen := map[string]bool{}
		for _, n := range nodes {
			var got []string
			for _, c := range n.make(g, nil) {
				got = append(got, c.Name())
				got = append(got, c.Aliases...)
			}
			want := slices.Clone(n.names)
			sort.Strings(got)
			sort.Strings(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s: table names %v, the commands built are named %v", prefix, n.names, got)
			}
			for _, name := range n.names {
				if seen[name] {
					t.Errorf("%s%s: listed twice", prefix, name)
				}
				seen[name] = true
			}
			if n.children != nil {
				walk(prefix+n.names[0]+" ", n.children)
			}
		}
	}
	walk("cais ", commandTree())
}

// TestSelectBranch checks which branch an argument list builds: the named
// command alone, or the whole tree whenever in doubt.
func TestSelectBranch(t *testing.T) {
	root := &cobra.Command{Use: "cais"}
	f := root.PersistentFlags()
	f.String("root", "", "")
	f.String("log-level", "", "")
	stringListVar(f, new([]string), "insecure-registry", "")
	f.Bool("some-bool", false, "") // none today; a bool takes no value
	whole := "(whole tree)"
	for _, tc := range []struct{ args, want string }{
		{"run --rm busybox true", "run"},
		{"--root=/r run -e A=1 busybox", "run"},
		{"--runroot=/x run", whole}, // not a flag of this root
		{"--root /r --log-level=debug ps -a", "ps"},
		{"--insecure-registry h:5000 --insecure-registry=h2 pull x", "pull"},
		{"--some-bool ps", "ps"},
		{"container cleanup abc", "container cleanup"},
		{"container --root /r cleanup abc", "container cleanup"},
		{"image ls", "image ls"},
		{"image list -q", "image list"},
		{"--version", ""},
		{"-v", ""},
		{"--root /r --version", ""},
		{"", whole},
		{"--root /r", whole},
		{"--root", whole},
		{"container", whole},
		{"container fo", whole},
		{"container help run", whole},
		{"fo", whole},
		{"help run", whole},
		{"completion bash", whole},
		{"__complete run --n", whole},
		{"run --help", whole},
		{"run -h busybox", whole},
		{"--help run", whole},
		{"-h", whole},
		{"--bad-flag ps", whole},
		{"-x ps", whole},
		{"-- ps", whole},
		{"run busybox -- sh -h", "run"},
	} {
		path, ok := selectBranch(strings.Fields(tc.args), commandTree(), f)
		got := strings.Join(path, " ")
		if !ok {
			got = whole
		}
		if got != tc.want {
			t.Errorf("selectBranch(%q) = %q, want %q", tc.args, got, tc.want)
		}
	}
}
