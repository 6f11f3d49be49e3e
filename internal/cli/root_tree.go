package cli

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// The command tree is built per process, and building all of it (about a
// hundred commands, a few with a hundred flags) costs every cais start more
// than running most commands. So each command of the tree is listed here
// with the names it answers to, and Run builds only the branch its
// arguments name; help, completion, unknown commands and anything it does
// not recognise get the whole tree, as before. TestCommandTable checks
// that the names listed are the names the commands have.

// node is one entry of the tree: a command (or several commands) that
// build returns, or a group (children set) made here.
type node struct {
	names    []string // the commands' names and aliases
	build    func(g *globals) []*cobra.Command
	short    string // a group's Short
	children []node
}

func leaf(names string, build func(g *globals) *cobra.Command) node {
	return node{names: strings.Fields(names), build: func(g *globals) []*cobra.Command { return []*cobra.Command{build(g)} }}
}

func leaves(names string, build func(g *globals) []*cobra.Command) node {
	return node{names: strings.Fields(names), build: build}
}

func group(name, short string, children ...node) node {
	return node{names: []string{name}, short: short, children: children}
}

// commandTree is every command below the root.
func commandTree() []node {
	return []node{
		group("image", "Manage images",
			leaf("ls list", func(g *globals) *cobra.Command { return imagesCmd(g, "ls") }),
			leaf("pull", pullCmd), leaf("push", pushCmd),
			leaf("rm", func(g *globals) *cobra.Command { return rmiCmd(g, "rm") }),
			leaf("tag", tagCmd), leaf("inspect", inspectCmd), leaf("history", historyCmd), leaf("prune", pruneCmd)),
		group("system", "Manage cais", leaf("df", dfCmd), leaf("info", infoCmd), leaf("prune", systemPruneCmd)),
		leaf("pull", pullCmd), leaf("push", pushCmd),
		leaf("images", func(g *globals) *cobra.Command { return imagesCmd(g, "images") }),
		leaf("rmi", func(g *globals) *cobra.Command { return rmiCmd(g, "rmi") }),
		leaf("tag", tagCmd), leaf("history", historyCmd), leaf("login", loginCmd), leaf("logout", logoutCmd),
		leaf("version", versionCmd), leaf("info", infoCmd),
		group("container", "Manage containers",
			leaf("run", runCmd), leaf("ps", psCmd), leaf("rm", rmCmd), leaf("stop", stopCmd), leaf("logs", logsCmd),
			leaf("cleanup", cleanupCmd), leaf("prune", containerPruneCmd),
			leaf("create", createCmd), leaf("start", startCmd), leaf("exec", execCmd), leaf("inspect", containerInspectCmd),
			leaf("wait", waitCmd), leaf("kill", killCmd), leaf("restart", restartCmd), leaf("attach", attachCmd),
			leaves("pause unpause update stats top rename", opsCmds), leaf("cp", cpCmd), leaf("port", portCmd)),
		leaf("run", runCmd), leaf("ps", psCmd), leaf("rm", rmCmd), leaf("stop", stopCmd), leaf("logs", logsCmd),
		leaf("create", createCmd), leaf("start", startCmd), leaf("exec", execCmd), leaf("wait", waitCmd),
		leaf("kill", killCmd), leaf("restart", restartCmd), leaf("inspect", inspectCmd),
		leaf("volume", volumeCmd), leaf("attach", attachCmd),
		leaves("pause unpause update stats top rename", opsCmds), leaf("cp", cpCmd), leaf("port", portCmd),
		leaf("network", networkCmd),
		leaves("save load import", transferCmds),
	}
}

// addCommands adds to parent the nodes that path selects: all of them when
// path is empty, else the one named path[0] with, for a group, what
// path[1:] selects below it.
func addCommands(parent *cobra.Command, g *globals, nodes []node, path []string) {
	for _, n := range nodes {
		if len(path) > 0 && !n.has(path[0]) {
			continue
		}
		var rest []string
		if len(path) > 0 {
			rest = path[1:]
		}
		parent.AddCommand(n.make(g, rest)...)
	}
}

// make builds n, and for a group the children rest selects.
func (n node) make(g *globals, rest []string) []*cobra.Command {
	if n.children == nil {
		return n.build(g)
	}
	c := &cobra.Command{Use: n.names[0], Short: n.short}
	addCommands(c, g, n.children, rest)
	return []*cobra.Command{c}
}

func (n node) has(name string) bool {
	for _, s := range n.names {
		if s == name {
			return true
		}
	}
	return false
}

// selectBranch returns the path of command names args select in nodes,
// with ok false when the whole tree is needed: no command named (the root's
// help), a name not in the tree (cobra's unknown-command error and its
// suggestions), a group without a known subcommand, any help flag or help
// command, completion, or a flag of the root it does not know. An empty
// path with ok true is a bare --version, which the root answers alone.
// rootFlags are the root's persistent flags: the only flags that may come
// before a command's name or between a group and its subcommand.
func selectBranch(args []string, nodes []node, rootFlags *pflag.FlagSet) (path []string, ok bool) {
	version := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			i = len(args)
		case a == "-h" || a == "--help" || strings.HasPrefix(a, "--help="):
			return nil, false
		case a == "-v" || a == "--version":
			version = true
		case strings.HasPrefix(a, "--"):
			name, _, hasValue := strings.Cut(a[2:], "=")
			f := rootFlags.Lookup(name)
			if f == nil {
				return nil, false
			}
			if !hasValue && f.NoOptDefVal == "" {
				i++ // the flag's value
			}
		case strings.HasPrefix(a, "-") && a != "-":
			return nil, false
		default:
			n, found := find(nodes, a)
			if !found {
				return nil, false
			}
			path = append(path, a)
			if n.children == nil {
				return path, !anyHelp(args[i+1:])
			}
			nodes = n.children
		}
	}
	return path, len(path) == 0 && version
}

func find(nodes []node, name string) (node, bool) {
	for _, n := range nodes {
		if n.has(name) {
			return n, true
		}
	}
	return node{}, false
}

// anyHelp reports whether a help flag comes before "--" in args: the
// command's help is then printed from the whole tree, as before.
func anyHelp(args []string) bool {
	for _, a := range args {
		switch {
		case a == "--":
			return false
		case a == "-h" || a == "--help" || strings.HasPrefix(a, "--help="):
			return true
		}
	}
	return false
}

// skipCompletionCmd keeps cobra from building its `completion` command
// (four subcommands with long formatted help) when args selected a branch
// of the tree: that command is reached only by its name, help or
// completion requests, all of which get the whole tree, where it is built
// as before.
func skipCompletionCmd(root *cobra.Command) {
	root.CompletionOptions.DisableDefaultCmd = true
}
