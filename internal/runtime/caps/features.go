package caps

import "slices"

// KnownNames returns every capability name Parse accepts, in capability
// number order (for the runtime's features document).
func KnownNames() []string {
	out := make([]string, 0, len(byName))
	for n := range byName {
		out = append(out, n)
	}
	slices.SortFunc(out, func(a, b string) int { return byName[a] - byName[b] })
	return out
}
