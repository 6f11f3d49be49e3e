package network

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// deleteLink removes the host device name (a network's bridge) if it
// exists. The bridge plugin makes bridges but never removes them.
func deleteLink(name string) error {
	if name == "" {
		return nil
	}
	if _, err := os.Stat("/sys/class/net/" + name); err != nil {
		return nil
	}
	ip := "ip"
	if _, err := exec.LookPath(ip); err != nil {
		ip = "/usr/sbin/ip" // a caller with a short PATH (a monitor's cleanup)
	}
	out, err := exec.Command(ip, "link", "delete", name).CombinedOutput()
	if err != nil {
		return fmt.Errorf("deleting bridge %s: %v: %s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}
