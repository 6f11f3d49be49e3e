package archtest

import (
	"bufio"
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/cais-project/cais"

// A layer is a set of packages named by path prefix (relative to the module),
// and the layers of ours it may depend on. Leaves may depend on nothing.
type layer struct {
	name     string
	prefixes []string
	mayUse   []string // names of other layers
	// forbiddenStd lists standard-library packages the layer must not use.
	forbiddenStd []string
}

// The table mirrors docs/architecture.md; change both together.
var layers = []layer{
	{name: "leaf", prefixes: []string{
		"internal/errdefs", "internal/logging", "internal/mount", "internal/version",
		"internal/linux", "internal/testgate", "internal/archtest", "internal/units", "internal/fsutil",
		"internal/procwait",
	}},
	{name: "fixture", prefixes: []string{"internal/fixture"}, mayUse: []string{"leaf"}},
	{name: "runtime", prefixes: []string{"internal/runtime/"}, mayUse: []string{"leaf"},
		forbiddenStd: []string{"net/http", "net/rpc"}},
	{name: "image", prefixes: []string{"internal/image/"}, mayUse: []string{"leaf"}},
	{name: "engine", prefixes: []string{"internal/engine/"}, mayUse: []string{"leaf", "image"}},
	// Edges: each uses the engine, never another edge.
	{name: "cli", prefixes: []string{"internal/cli/"}, mayUse: []string{"leaf", "engine"}},
	{name: "api", prefixes: []string{"internal/api/"}, mayUse: []string{"leaf", "engine"}},
	{name: "public", prefixes: []string{"client"}, mayUse: []string{"leaf", "engine", "image"}},
	// Binaries are wiring: each may use the layer it wires, and leaves.
	{name: "cmd/cais", prefixes: []string{"cmd/cais"}, mayUse: []string{"leaf", "cli", "api", "engine", "image"}},
	{name: "cmd/cais-runtime", prefixes: []string{"cmd/cais-runtime"}, mayUse: []string{"leaf", "runtime"}},
	{name: "cmd/cais-monitor", prefixes: []string{"cmd/cais-monitor"}, mayUse: []string{"leaf", "engine"}},
	{name: "examples", prefixes: []string{"examples/"}, mayUse: []string{"public"}},
	{name: "bench", prefixes: []string{"bench/"}, mayUse: []string{"leaf", "fixture"}},
}

func layerOf(rel string) *layer {
	var best *layer
	bestLen := -1
	for i := range layers {
		for _, p := range layers[i].prefixes {
			base := strings.TrimSuffix(p, "/")
			match := rel == base || strings.HasPrefix(rel, base+"/")
			if match && len(p) > bestLen {
				best, bestLen = &layers[i], len(p)
			}
		}
	}
	return best
}

// TestLayering checks every package's dependencies against the table.
func TestLayering(t *testing.T) {
	// Direct imports are checked for every package, which enforces the
	// rules transitively (each package on the way is checked too) without
	// blaming an edge for what the engine it uses imports. Standard-library
	// bans are checked on all dependencies, since they hide anywhere.
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}} | {{join .Deps \" \"}}", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	n := 0
	for sc.Scan() {
		imports, deps, _ := strings.Cut(sc.Text(), "|")
		fields := strings.Fields(imports)
		pkg := fields[0]
		n++
		problems := check(pkg, fields[1:])
		problems = append(problems, checkStd(pkg, strings.Fields(deps))...)
		if len(problems) > 0 {
			for _, p := range problems {
				t.Error(p)
			}
		}
	}
	if n == 0 {
		t.Fatal("go list returned no packages")
	}
}

func check(pkg string, deps []string) []string {
	rel := strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")
	own := layerOf(rel)
	if own == nil {
		return []string{pkg + ": belongs to no layer; add it to the table in layers_test.go and to docs/architecture.md"}
	}
	allowed := map[string]bool{own.name: true}
	for _, u := range own.mayUse {
		allowed[u] = true
	}
	var problems []string
	for _, d := range deps {
		if !strings.HasPrefix(d, module+"/") {
			continue
		}
		drel := strings.TrimPrefix(d, module+"/")
		dl := layerOf(drel)
		switch {
		case dl == nil:
			problems = append(problems, pkg+" imports "+d+", which belongs to no layer")
		case own.name == "leaf" && drel != rel:
			problems = append(problems, pkg+" is a leaf but imports "+d)
		case !allowed[dl.name]:
			problems = append(problems, pkg+" ("+own.name+") must not import "+d+" ("+dl.name+")")
		}
	}
	return problems
}

// checkStd flags standard-library packages a layer must not use, anywhere
// in its dependencies.
func checkStd(pkg string, deps []string) []string {
	own := layerOf(strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/"))
	if own == nil {
		return nil
	}
	var problems []string
	for _, d := range deps {
		for _, f := range own.forbiddenStd {
			if d == f {
				problems = append(problems, pkg+" ("+own.name+") must not use "+d)
			}
		}
	}
	return problems
}

// TestRulesCatchViolations makes sure the checker itself can fail.
func TestRulesCatchViolations(t *testing.T) {
	cases := []struct {
		pkg, dep string
		bad      bool
	}{
		{"internal/errdefs", "internal/mount", true},
		{"internal/runtime/cgroups", "internal/engine/monitor", true},
		{"internal/runtime/cgroups", "internal/image/store", true},
		{"internal/runtime/cgroups", "internal/errdefs", false},
		{"internal/engine/core", "internal/runtime/cgroups", true},
		{"internal/engine/core", "internal/image/store", false},
		{"internal/image/store", "internal/runtime/rootfs", true},
		{"internal/cli/cais", "internal/api/docker", true},
		{"internal/cli/cais", "internal/image/store", true},
		{"internal/cli/cais", "internal/engine/core", false},
		{"internal/cli", "internal/engine", false},
		{"internal/engine", "internal/runtime/container", true},
		{"internal/engine", "internal/cli", true},
		{"cmd/cais-runtime", "internal/engine/core", true},
		{"internal/runtime/cli", "internal/fixture", true},
	}
	for _, c := range cases {
		t.Run(filepath.Join(c.pkg, "->", c.dep), func(t *testing.T) {
			got := len(check(module+"/"+c.pkg, []string{module + "/" + c.dep})) > 0
			if got != c.bad {
				t.Errorf("check(%s -> %s) flagged=%v, want %v", c.pkg, c.dep, got, c.bad)
			}
		})
	}
	if p := checkStd(module+"/internal/runtime/x", []string{"net/http"}); len(p) == 0 {
		t.Error("runtime using net/http was not flagged")
	}
}
