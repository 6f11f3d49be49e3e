// Package testgate holds the conditions integration tests need (root,
// overlayfs, cgroup v2, user namespaces...). A test that cannot run here is
// skipped with a reason that names the missing condition; `make test` prints
// every skip at the end so none is silent.
package testgate

import (
	"os"
	"strings"
	"testing"
)

// Root skips t unless the test runs as root.
func Root(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		missing(t, "testgate: needs root")
	}
}

// Cgroup2 skips t unless /sys/fs/cgroup is a pure cgroup v2 hierarchy.
func Cgroup2(t testing.TB) {
	t.Helper()
	if !IsCgroup2() {
		t.Skip("testgate: needs a pure cgroup v2 hierarchy at /sys/fs/cgroup (run make test-cgroup2)")
	}
}

// Cgroup1 skips t unless /sys/fs/cgroup holds cgroup v1 controllers.
func Cgroup1(t testing.TB) {
	t.Helper()
	if IsCgroup2() {
		t.Skip("testgate: needs cgroup v1 controllers under /sys/fs/cgroup")
	}
}

// IsCgroup2 reports whether /sys/fs/cgroup is the unified (v2) hierarchy.
func IsCgroup2() bool {
	_, err := os.Stat("/sys/fs/cgroup/cgroup.controllers")
	return err == nil
}

// Overlay skips t unless the kernel knows overlayfs.
func Overlay(t testing.TB) {
	t.Helper()
	b, err := os.ReadFile("/proc/filesystems")
	if err != nil || !strings.Contains(string(b), "\toverlay\n") {
		t.Skip("testgate: needs overlayfs in /proc/filesystems")
	}
}

// UserNS skips t unless unprivileged user namespaces can be created.
func UserNS(t testing.TB) {
	t.Helper()
	if _, err := os.Stat("/proc/self/ns/user"); err != nil {
		t.Skip("testgate: needs user namespaces")
	}
	b, err := os.ReadFile("/proc/sys/user/max_user_namespaces")
	if err == nil && strings.TrimSpace(string(b)) == "0" {
		t.Skip("testgate: user namespaces disabled (max_user_namespaces=0)")
	}
}

// Binary skips t unless the named program is installed at path.
func Binary(t testing.TB, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		missing(t, "testgate: needs "+path+" (install its Debian package)")
	}
}

// missing skips t, except under CI (CI=true), which installs everything
// these gates ask for: there a missing prerequisite is a broken setup, and
// the test fails instead of passing unnoticed. The cgroup v2 VM lane
// (CAIS_CGROUP2_VM=1) carries only the runtime and a few peers, so there a
// missing program is a skip, said as such.
func missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CAIS_CGROUP2_VM") == "1" {
		t.Skip(why + " (not carried into the cgroup2 VM)")
	}
	if os.Getenv("CI") == "true" {
		t.Fatal(why + " (CI must provide it)")
	}
	t.Skip(why)
}
