package container

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/errdefs"
)

// Status is a container's state in the OCI lifecycle.
type Status string

// The statuses of runtime-spec, plus paused as runc reports it.
const (
	Creating Status = "creating"
	Created  Status = "created"
	Running  Status = "running"
	Paused   Status = "paused"
	Stopped  Status = "stopped"
)

const (
	stateFile = "state.json"
	lockFile  = "lock"
	fifoFile  = "exec.fifo"
)

// State is what the runtime remembers of a container, in state.json.
type State struct {
	ID     string `json:"id"`
	Bundle string `json:"bundle"`
	Rootfs string `json:"rootfs"`
	// Pid of the init, and its start time (clock ticks since boot, from
	// /proc/PID/stat), to tell it from a later process with the same pid.
	Pid         int               `json:"pid"`
	PidStart    uint64            `json:"pidStart"`
	Created     time.Time         `json:"created"`
	Owner       string            `json:"owner"`
	CgroupPaths map[string]string `json:"cgroupPaths"`
	// Spec is config.json as create read it. It is kept as bytes and
	// decoded on demand: the first decode of a specs.Spec in a process
	// costs milliseconds of reflection, and most commands need only the
	// few fields of specView.
	Spec json.RawMessage `json:"spec"`

	spec *specs.Spec // Spec decoded, once
	view *specView
}

// specView is the part of the spec that commands other than exec and
// update read.
type specView struct {
	Annotations map[string]string `json:"annotations,omitempty"`
	Hooks       *specs.Hooks      `json:"hooks,omitempty"`
	Linux       *struct {
		CgroupsPath string `json:"cgroupsPath,omitempty"`
	} `json:"linux,omitempty"`
}

// FullSpec returns the container's whole spec, decoded once.
func (s *State) FullSpec() (*specs.Spec, error) {
	if s.spec == nil {
		var sp specs.Spec
		if err := json.Unmarshal(s.Spec, &sp); err != nil {
			return nil, fmt.Errorf("state of %s: spec: %w", s.ID, err)
		}
		s.spec = &sp
	}
	return s.spec, nil
}

// setSpec replaces the spec (update changes its resources).
func (s *State) setSpec(sp *specs.Spec) error {
	b, err := json.Marshal(sp)
	if err != nil {
		return err
	}
	s.Spec, s.spec, s.view = b, sp, nil
	return nil
}

// specView returns the light part of the spec; a state without a
// readable spec has an empty view.
func (s *State) specView() *specView {
	if s.view == nil {
		s.view = &specView{}
		if s.spec != nil {
			s.view.Annotations, s.view.Hooks = s.spec.Annotations, s.spec.Hooks
			if s.spec.Linux != nil {
				s.view.Linux = &struct {
					CgroupsPath string `json:"cgroupsPath,omitempty"`
				}{s.spec.Linux.CgroupsPath}
			}
		} else if len(s.Spec) > 0 {
			json.Unmarshal(s.Spec, s.view)
		}
	}
	return s.view
}

func (v *specView) cgroupsPath() string {
	if v.Linux == nil {
		return ""
	}
	return v.Linux.CgroupsPath
}

// validID is runc's rule: letters and digits, then also _+-. (a regexp
// here cost every runtime process, the container's init too, its
// compilation at package initialisation).
func validID(id string) bool {
	if id == "" || len(id) > 1024 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if i > 0 {
			ok = ok || c == '_' || c == '+' || c == '-' || c == '.'
		}
		if !ok {
			return false
		}
	}
	return true
}

func checkID(id string) error {
	if !validID(id) {
		return fmt.Errorf("invalid container id %q: use letters, digits and _+-. (not first): %w", id, errdefs.ErrInvalidArgument)
	}
	return nil
}

// writeFileAtomic writes data to path through a temporary file and a
// rename, so readers see the old or the new content, never a mix. There is
// no fsync: the state describes processes, which do not survive the crash
// that an fsync would guard against (and the root is usually a tmpfs).
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func (s *State) save(dir string) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, stateFile), b, 0o600)
}

func loadState(dir string) (*State, error) {
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		return nil, err
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("reading %s: %w", filepath.Join(dir, stateFile), err)
	}
	return &s, nil
}

// procStart returns the start time of pid (field 22 of /proc/PID/stat) and
// its one-letter state.
func procStart(pid int) (uint64, byte, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	// The command name is in parentheses and may hold spaces: split after it.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, errors.New("malformed /proc stat")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return 0, 0, errors.New("malformed /proc stat")
	}
	start, err := strconv.ParseUint(f[19], 10, 64)
	return start, f[0][0], err
}

// alive reports whether the container's init still runs (not a zombie, and
// the same process that was started).
func (s *State) alive() bool {
	if s.Pid <= 0 {
		return false
	}
	start, st, err := procStart(s.Pid)
	return err == nil && start == s.PidStart && st != 'Z' && st != 'X'
}

// waitGone waits until pid has exited (a zombie counts as exited).
func waitGone(pid int, start uint64, timeout time.Duration) error {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		if errors.Is(err, unix.ESRCH) {
			return nil
		}
		return fmt.Errorf("pidfd_open %d: %w", pid, err)
	}
	defer unix.Close(fd)
	// The pid may have been reused between our check and pidfd_open.
	if st, _, err := procStart(pid); err != nil || st != start {
		return nil
	}
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	deadline := time.Now().Add(timeout)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("process %d did not exit within %s", pid, timeout)
		}
		n, err := unix.Poll(fds, int(left.Milliseconds())+1)
		if err != nil && !errors.Is(err, unix.EINTR) {
			return err
		}
		if n > 0 {
			return nil
		}
	}
}
