package network

import (
	"errors"
	"os/exec"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/testgate"
)

// TestDeleteLink: in a network namespace of the test's own, deleteLink
// removes a device by name over rtnetlink, and a device that is not there
// (removed already, or never made) is no error.
func TestDeleteLink(t *testing.T) {
	testgate.Root(t)
	testgate.Binary(t, "/usr/sbin/ip")
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends in the namespace
		errc <- func() error {
			if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
				return err
			}
			// Children forked from this thread start in its namespace.
			if out, err := exec.Command("ip", "link", "add", "cais-tdel0", "type", "bridge").CombinedOutput(); err != nil {
				return errors.New("ip link add: " + err.Error() + ": " + string(out))
			}
			if err := deleteLink("cais-tdel0"); err != nil {
				return err
			}
			if out, err := exec.Command("ip", "link", "show", "cais-tdel0").CombinedOutput(); err == nil {
				return errors.New("cais-tdel0 still there: " + string(out))
			}
			if err := deleteLink("cais-tdel0"); err != nil {
				return errors.New("deleting an absent device: " + err.Error())
			}
			if err := rtnlDelLink("cais-tdel0"); !errors.Is(err, unix.ENODEV) {
				return errors.New("rtnlDelLink of an absent device: want ENODEV, got " + errString(err))
			}
			return nil
		}()
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}
