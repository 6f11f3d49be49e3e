package container

import (
	"fmt"
	"os"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// child is a process spawn started and must reap: the init, or the
// nsenter intermediate that forks it.
//
// It is started with syscall.ForkExec rather than os/exec: os.StartProcess
// first checks, once per process, that pidfds work, and that check
// includes a vfork of a throwaway child (about half a millisecond of every
// create and exec on the benchmark VM). The runtime needs nothing pidfds
// give here: it waits for a child it has not let go of.
type child struct{ pid int }

// startChild runs path with fds 0-2 from io (/dev/null where nil) and
// extra from fd 3 on; every other fd of ours is close-on-exec.
func startChild(path string, args, env []string, io IO, extra []*os.File) (*child, error) {
	std := []*os.File{io.Stdin, io.Stdout, io.Stderr}
	files := make([]uintptr, 0, len(std)+len(extra))
	for i, f := range std {
		if f == nil {
			mode := os.O_WRONLY
			if i == 0 {
				mode = os.O_RDONLY
			}
			null, err := os.OpenFile(os.DevNull, mode, 0)
			if err != nil {
				return nil, err
			}
			defer null.Close()
			f = null
			std[i] = null
		}
		files = append(files, f.Fd())
	}
	for _, f := range extra {
		files = append(files, f.Fd())
	}
	pid, err := syscall.ForkExec(path, args, &syscall.ProcAttr{Env: env, Files: files})
	runtime.KeepAlive(std)
	runtime.KeepAlive(extra)
	if err != nil {
		return nil, err
	}
	return &child{pid: pid}, nil
}

// wait reaps the child; an error says how it ended unless with status 0.
func (c *child) wait() error {
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(c.pid, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("waiting for pid %d: %w", c.pid, err)
		}
		break
	}
	switch {
	case ws.Exited() && ws.ExitStatus() == 0:
		return nil
	case ws.Signaled():
		return fmt.Errorf("signal: %v", ws.Signal())
	}
	return fmt.Errorf("exit status %d", ws.ExitStatus())
}

func (c *child) kill() { unix.Kill(c.pid, unix.SIGKILL) }
