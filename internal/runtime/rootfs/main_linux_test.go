package rootfs

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The integration tests re-execute the test binary as the container's init:
// childEnv holds the JSON of a childConfig, and TestMain runs the child
// instead of the tests.
const childEnv = "CAIS_ROOTFS_TEST_CHILD"

// childConfig is what the parent test tells its child init.
type childConfig struct {
	Bundle  string
	Options Options
	Script  string // run with /bin/sh -c inside the new root
	Console bool   // after PivotRoot, open a pty on /dev/ptmx and BindConsole its slave
}

// Exit codes of the child init, for the parent's assertions.
const (
	exitSetup   = 90 // NewPlan, Prepare, PivotRoot or Finalize failed
	exitHarness = 91 // the harness itself failed
)

func TestMain(m *testing.M) {
	if cfg := os.Getenv(childEnv); cfg != "" {
		childMain(cfg)
	}
	os.Exit(m.Run())
}

func childMain(cfgJSON string) {
	runtime.LockOSThread()
	var cfg childConfig
	if err := json.Unmarshal([]byte(cfgJSON), &cfg); err != nil {
		fail(exitHarness, "config: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(cfg.Bundle, "config.json"))
	if err != nil {
		fail(exitHarness, "%v", err)
	}
	var spec specs.Spec
	if err := json.Unmarshal(b, &spec); err != nil {
		fail(exitHarness, "%v", err)
	}
	p, err := NewPlan(&spec, cfg.Bundle, cfg.Options)
	if err != nil {
		fail(exitSetup, "rootfs-error: %v", err)
	}
	steps := []struct {
		name string
		f    func() error
	}{
		{"prepare", p.Prepare},
		{"pivot", p.PivotRoot},
		{"console", func() error {
			if !cfg.Console {
				return nil
			}
			// Like a runtime, open the pty on the container's own devpts.
			slave, err := openPtySlave()
			if err != nil {
				fail(exitHarness, "pty: %v", err)
			}
			return BindConsole(slave)
		}},
		{"finalize", p.Finalize},
	}
	for _, s := range steps {
		if err := s.f(); err != nil {
			fail(exitSetup, "rootfs-error: %s: %v", s.name, err)
		}
	}
	err = syscall.Exec("/bin/sh", []string{"sh", "-c", cfg.Script}, []string{"PATH=/bin"})
	fail(exitHarness, "exec: %v", err)
}

func fail(code int, format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(code)
}

// openPtySlave opens a new pty pair on /dev/ptmx and returns the
// slave; the master is leaked on purpose (it must outlive the exec).
func openPtySlave() (*os.File, error) {
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		return nil, err
	}
	fd, err := unix.IoctlRetInt(int(master.Fd()), unix.TIOCGPTPEER)
	if err != nil {
		return nil, err
	}
	_ = unix.SetNonblock(fd, false)
	return os.NewFile(uintptr(fd), "pty-slave"), nil
}
