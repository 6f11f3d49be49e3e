package monitor

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/procwait"
)

// becomeSubreaper makes orphaned descendants (the container's init, once
// the runtime that forked it exits) this process's children.
func becomeSubreaper() error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("becoming child subreaper: %w", err)
	}
	return nil
}

// waitExit waits for pid, a child of ours, and returns its exit code in
// the shell's convention (128+signal when killed). When pid is not our
// child (the runtime did not leave it to us) it waits through a pidfd and
// returns -1: the code is unknown.
func waitExit(pid int) int {
	procwait.Exited(pid)
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(pid, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			procwait.Exited(pid) // not our child: wait without reaping
			return -1
		}
		break
	}
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// receivePty accepts one connection on l and returns the file descriptor
// it carries (the runc console-socket protocol: one SCM_RIGHTS message),
// made non-blocking so reads can have deadlines.
func receivePty(l *net.UnixListener) (*os.File, error) {
	conn, err := l.AcceptUnix()
	if err != nil {
		return nil, fmt.Errorf("accepting console: %w", err)
	}
	defer conn.Close()
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4*4))
	_, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, fmt.Errorf("receiving console: %w", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return nil, fmt.Errorf("receiving console: %w", err)
	}
	var fds []int
	for _, m := range msgs {
		got, err := unix.ParseUnixRights(&m)
		if err == nil {
			fds = append(fds, got...)
		}
	}
	if len(fds) == 0 {
		return nil, errors.New("receiving console: no file descriptor sent")
	}
	for _, extra := range fds[1:] {
		unix.Close(extra)
	}
	unix.CloseOnExec(fds[0])
	if err := unix.SetNonblock(fds[0], true); err != nil {
		unix.Close(fds[0])
		return nil, fmt.Errorf("receiving console: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), "pty-master"), nil
}

// resize sets the terminal size of the pty behind master.
func resize(master *os.File, rows, cols uint16) error {
	rc, err := master.SyscallConn()
	if err != nil {
		return err
	}
	var ioErr error
	err = rc.Control(func(fd uintptr) {
		ioErr = unix.IoctlSetWinsize(int(fd), unix.TIOCSWINSZ, &unix.Winsize{Row: rows, Col: cols})
	})
	if err != nil {
		return err
	}
	return ioErr
}

// startTime returns field 22 of /proc/PID/stat (start time in clock ticks
// since boot), which tells a process from a later one with the same pid.
func startTime(procRoot string, pid int) (uint64, error) {
	_, st, err := procStat(procRoot, pid)
	return st, err
}

// procStat is the state letter (R, S, Z, ...) and start time of pid from
// procRoot/<pid>/stat.
func procStat(procRoot string, pid int) (byte, uint64, error) {
	b, err := os.ReadFile(procRoot + "/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	// The command name (field 2) may hold spaces and parentheses; fields
	// after it start past the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("parsing %s/%d/stat", procRoot, pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 || len(f[0]) != 1 {
		return 0, 0, fmt.Errorf("parsing %s/%d/stat: too few fields", procRoot, pid)
	}
	st, err := strconv.ParseUint(f[19], 10, 64) // field 22 is the 20th after ')'
	return f[0][0], st, err
}

// RedirectLog points this process's stdout and stderr at the monitor log
// in dir (a prespawned monitor starts with them on /dev/null: its
// directory did not exist yet).
func RedirectLog(dir string) error {
	f, err := os.OpenFile(filepath.Join(dir, logName), os.O_WRONLY|os.O_APPEND|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("opening monitor log: %w", err)
	}
	defer f.Close()
	for _, fd := range []int{1, 2} {
		if err := unix.Dup3(int(f.Fd()), fd, 0); err != nil {
			return fmt.Errorf("redirecting to monitor log: %w", err)
		}
	}
	return nil
}
