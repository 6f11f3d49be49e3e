package network

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/cais-project/cais/internal/fsutil"
	"github.com/cais-project/cais/internal/procwait"
)

// A network that is not internal has one masquerade rule, Docker's shape:
//
//	-t nat -A POSTROUTING -s SUBNET ! -o BRIDGE -m comment --comment cais-ID12 -j MASQUERADE
//
// instead of the bridge plugin's ipMasq, which makes a chain per container
// (nine iptables runs on ADD, as many on DEL). Its lifetime is the
// bridge's: every attach makes sure it is there (one `iptables -C`, run
// while the plugins work), and whoever removes the bridge removes it.

func masqSpec(n *Network) []string {
	return []string{"POSTROUTING", "-s", n.IPAM.Subnet, "!", "-o", n.Bridge,
		"-m", "comment", "--comment", masqComment(n), "-j", "MASQUERADE"}
}

// masqComment marks the rule as n's.
func masqComment(n *Network) string { return "cais-" + n.ID[:12] }

// ensureMasq adds n's masquerade rule unless it is there. The caller holds
// n's lock shared; an exclusive lock of its own keeps two attaches from
// both finding the rule absent and both adding it.
func (s *Store) ensureMasq(n *Network) error {
	if n.Internal {
		return nil
	}
	dir := filepath.Join(s.RunRoot, "cni", "locks")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	unlock, err := fsutil.Lock(filepath.Join(dir, n.ID+".nat"), true)
	if err != nil {
		return err
	}
	defer unlock()
	err = iptables(append([]string{"-t", "nat", "-C"}, masqSpec(n)...)...)
	var ee *exec.ExitError
	if err == nil || !errors.As(err, &ee) || ee.ExitCode() != 1 {
		return err // there, or iptables itself failed
	}
	return iptables(append([]string{"-t", "nat", "-A"}, masqSpec(n)...)...)
}

// removeMasq deletes n's masquerade rule; one that is not there is fine.
func removeMasq(n *Network) error {
	if n.Internal || n.IPAM.Subnet == "" {
		return nil
	}
	err := iptables(append([]string{"-t", "nat", "-D"}, masqSpec(n)...)...)
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 1 {
		return nil
	}
	return err
}

// iptables runs iptables -w with args; the error carries its stderr and
// unwraps to the *exec.ExitError.
func iptables(args ...string) error {
	bin := "iptables"
	if _, err := exec.LookPath(bin); err != nil {
		bin = "/usr/sbin/iptables" // a caller with a short PATH (a monitor's cleanup)
	}
	cmd := exec.Command(bin, append([]string{"-w"}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := procwait.Run(cmd); err != nil {
		return fmt.Errorf("iptables %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
