package container

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/errdefs"
)

// Kill sends sig to the container's init, or with all to every process in
// its cgroup.
func (c *Container) Kill(sig unix.Signal, all bool) error {
	unlock, err := c.lock()
	if err != nil {
		return err
	}
	defer unlock()
	st := c.Status()
	if st == Stopped && !all {
		return fmt.Errorf("container %s is not running: %w", c.state.ID, errdefs.ErrConflict)
	}
	if all {
		return c.signalAll(sig)
	}
	if err := unix.Kill(c.state.Pid, sig); err != nil {
		return fmt.Errorf("signalling pid %d: %w", c.state.Pid, err)
	}
	return nil
}

// signalAll signals every process of the cgroup; a frozen cgroup is thawed
// after SIGKILL so the processes can die.
func (c *Container) signalAll(sig unix.Signal) error {
	m, err := c.cgroup()
	if err != nil {
		return err
	}
	pids, err := m.Pids()
	if err != nil {
		return err
	}
	for _, pid := range pids {
		unix.Kill(pid, sig)
	}
	if sig == unix.SIGKILL {
		if st, err := m.FreezerState(); err == nil && st == "FROZEN" {
			m.Thaw()
		}
	}
	return nil
}

// ParseSignal accepts "KILL", "SIGKILL", "sigkill" or "9".
func ParseSignal(s string) (unix.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 || n > 64 {
			return 0, fmt.Errorf("invalid signal %q: %w", s, errdefs.ErrInvalidArgument)
		}
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("unknown signal %q: %w", s, errdefs.ErrInvalidArgument)
}
