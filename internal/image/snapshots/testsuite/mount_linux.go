package testsuite

import (
	"sync"
	"testing"

	"github.com/cais-project/cais/internal/mount"
	"golang.org/x/sys/unix"
)

// Mount mounts ms on target, in order, and returns a function that unmounts
// them; the same function also runs at the test's cleanup, so calling it
// early is optional. A test that cannot mount fails.
func Mount(t testing.TB, ms []mount.Mount, target string) (unmount func()) {
	t.Helper()
	var once sync.Once
	done := 0
	unmount = func() {
		once.Do(func() {
			for ; done > 0; done-- {
				if err := unix.Unmount(target, 0); err != nil {
					t.Errorf("unmounting %s: %v", target, err)
				}
			}
		})
	}
	t.Cleanup(unmount)
	if err := mount.All(ms, target); err != nil {
		t.Fatalf("mounting %v: %v", ms, err)
	}
	done = len(ms)
	return unmount
}
