// Package version holds the build's version strings, set by the linker
// (-X github.com/cais-project/cais/internal/version.Version=...).
package version

// Version and Commit are overridden at link time by the Makefile.
var (
	Version = "0.1.0-dev"
	Commit  = "unknown"
)
