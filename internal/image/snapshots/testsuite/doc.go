// Package testsuite is the conformance suite every snapshots.Snapshotter
// implementation passes: Run it from the implementation's tests. It mounts
// what the snapshotter returns (so it needs root) and checks what a process
// sees, and offers Mount, the test-only mounter it uses.
//
// It is test support: only _test.go files may import it.
package testsuite
