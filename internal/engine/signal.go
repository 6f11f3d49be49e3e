package engine

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/errdefs"
)

// ParseSignal reads a signal as Docker does: a number, or a name with or
// without "SIG" in any case, including SIGRTMIN+n and SIGRTMAX-n.
func ParseSignal(s string) (syscall.Signal, error) {
	bad := fmt.Errorf("invalid signal: %s: %w", s, errdefs.ErrInvalidArgument)
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 || n > sigRTMax {
			return 0, bad
		}
		return syscall.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	for _, rt := range []struct {
		prefix string
		base   int
		dir    int
	}{{"SIGRTMIN+", sigRTMin, 1}, {"SIGRTMAX-", sigRTMax, -1}} {
		if off, ok := strings.CutPrefix(name, rt.prefix); ok {
			n, err := strconv.Atoi(off)
			if err != nil || n < 0 || n > sigRTMax-sigRTMin {
				return 0, bad
			}
			return syscall.Signal(rt.base + rt.dir*n), nil
		}
	}
	switch name {
	case "SIGRTMIN":
		return syscall.Signal(sigRTMin), nil
	case "SIGRTMAX":
		return syscall.Signal(sigRTMax), nil
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, bad
}

// Linux's real-time signal range as glibc exposes it to programs (glibc
// keeps 32 and 33 for itself).
const sigRTMin, sigRTMax = 34, 64
