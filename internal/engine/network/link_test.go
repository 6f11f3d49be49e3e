package network

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/testgate"
)

// TestLinkNetlink: in a network namespace of the test's own, links are
// looked up over rtnetlink in the caller's namespace (the host's sysfs,
// which does not show them, is not read): linkIndex agrees with `ip`,
// linkHasPorts sees a device plugged into the bridge, deleteLink removes
// the bridge by name, and a device that is not there (removed already,
// or never made) is ENODEV to lookups and no error to deleteLink.
func TestLinkNetlink(t *testing.T) {
	testgate.Root(t)
	testgate.Binary(t, "/usr/sbin/ip")
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends in the namespace
		errc <- linkChecks()
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func linkChecks() error {
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		return err
	}
	// Children forked from this thread start in its namespace.
	ip := func(args ...string) (string, error) {
		out, err := exec.Command("ip", args...).CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return string(out), nil
	}
	const br = "cais-tdel0"
	if _, err := ip("link", "add", br, "type", "bridge"); err != nil {
		return err
	}
	if _, err := os.Stat("/sys/class/net/" + br); err == nil {
		return errors.New("the host's sysfs shows the test namespace's bridge; the checks below would prove nothing")
	}
	out, err := ip("-o", "link", "show", br)
	if err != nil {
		return err
	}
	want, _ := strconv.Atoi(strings.TrimSuffix(strings.Fields(out)[0], ":"))
	if got, err := linkIndex(br); err != nil || int(got) != want || !linkExists(br) {
		return fmt.Errorf("linkIndex(%s) = %d, %v; want %d (ip: %q)", br, got, err, want, out)
	}
	if busy, err := linkHasPorts(br); err != nil || busy {
		return fmt.Errorf("linkHasPorts of a bare bridge: %v, %v; want false", busy, err)
	}
	if _, err := ip("link", "add", "cais-tport0", "type", "veth", "peer", "name", "cais-tport1"); err != nil {
		return err
	}
	if _, err := ip("link", "set", "cais-tport0", "master", br); err != nil {
		return err
	}
	if busy, err := linkHasPorts(br); err != nil || !busy {
		return fmt.Errorf("linkHasPorts with a port plugged in: %v, %v; want true", busy, err)
	}
	if busy, err := linkHasPorts("cais-tport0"); err != nil || busy {
		return fmt.Errorf("linkHasPorts of the port itself: %v, %v; want false", busy, err)
	}
	if err := deleteLink(br); err != nil {
		return err
	}
	if out, err := exec.Command("ip", "link", "show", br).CombinedOutput(); err == nil {
		return errors.New(br + " still there: " + string(out))
	}
	if linkExists(br) {
		return errors.New("linkExists after the delete")
	}
	if _, err := linkIndex(br); !errors.Is(err, unix.ENODEV) {
		return fmt.Errorf("linkIndex of an absent device: want ENODEV, got %v", err)
	}
	if busy, err := linkHasPorts(br); err != nil || busy {
		return fmt.Errorf("linkHasPorts of an absent device: %v, %v; want false, nil", busy, err)
	}
	if err := deleteLink(br); err != nil {
		return errors.New("deleting an absent device: " + err.Error())
	}
	if err := rtnlLink(unix.RTM_DELLINK, br, nil); !errors.Is(err, unix.ENODEV) {
		return fmt.Errorf("RTM_DELLINK of an absent device: want ENODEV, got %v", err)
	}
	return nil
}
