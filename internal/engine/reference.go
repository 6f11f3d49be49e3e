package engine

import (
	"strings"

	"github.com/cais-project/cais/internal/image/registry"
)

// Reference is an image reference as the user wrote it, normalized the way
// Docker does.
type Reference struct {
	Name       string // full record name: "docker.io/library/busybox:latest"
	Familiar   string // as Docker prints it: "busybox:latest"
	Repository string // full repository: "docker.io/library/busybox"
	Path       string // repository path on its registry: "library/busybox"
	Tag        string // "" when the reference is by digest
	Digest     string // "" when the reference is by tag
	DefaultTag bool   // no tag or digest was given, so "latest" was implied
}

// ParseReference parses an image reference; a malformed one fails with
// errdefs.ErrInvalidArgument.
func (e *Engine) ParseReference(s string) (Reference, error) {
	r, err := registry.ParseReference(s, e.opts.InsecureRegistries...)
	if err != nil {
		return Reference{}, err
	}
	name := registry.RecordName(r)
	repo, tag, dgst := splitName(name)
	return Reference{
		Name: name, Familiar: familiar(name), Repository: repo,
		Path: r.Context().RepositoryStr(), Tag: tag, Digest: dgst,
		DefaultTag: !strings.ContainsAny(strings.TrimPrefix(s, lastSlashPrefix(s)), ":@"),
	}, nil
}

func lastSlashPrefix(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[:i+1]
	}
	return ""
}

// splitName splits a record name into repository, tag and digest.
func splitName(name string) (repo, tag, dgst string) {
	if i := strings.IndexByte(name, '@'); i >= 0 {
		return name[:i], "", name[i+1:]
	}
	if i := strings.LastIndexByte(name, ':'); i > strings.LastIndexByte(name, '/') {
		return name[:i], name[i+1:], ""
	}
	return name, "", ""
}

// familiar shortens a name the way Docker prints it: Docker Hub's domain
// and "library/" are dropped.
func familiar(name string) string {
	if rest, ok := strings.CutPrefix(name, "docker.io/"); ok {
		return strings.TrimPrefix(rest, "library/")
	}
	return name
}

// isDangling reports whether a record name is the engine's placeholder
// for an image that lost its last tag to a newer image ("sha256:<id>").
// Real names always carry a registry domain, so they never look like this.
func isDangling(name string) bool {
	return strings.HasPrefix(name, "sha256:") && !strings.Contains(name, "/")
}
