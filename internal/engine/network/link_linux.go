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
	out, err := exec.Command("ip", "link", "delete", name).CombinedOutput()
	if err != nil {
		return fmt.Errorf("deleting bridge %s: %v: %s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}
