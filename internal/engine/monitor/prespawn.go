package monitor

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/cais-project/cais/internal/errdefs"
	"github.com/cais-project/cais/internal/procwait"
)

// A monitor can be started before its container's bundle exists, so that
// its Go start-up (~10 ms on a slow host) overlaps the engine's create
// work instead of following it. Prespawn starts cais-monitor with only
// the container ID and its directory on the command line (so `ps` still
// shows which container it is for) and --config-fd: the monitor then waits
// for its whole command line on that pipe, NUL-separated, and makes
// nothing (no directory, socket or log) before it came. Pending.Start
// writes it and closes the pipe; from there on the monitor is the one
// Spawn starts. Pending.Abort closes the pipe with nothing written: the
// monitor reads EOF and exits, leaving nothing; so does a caller that dies.

// configFDNum is the pipe's descriptor in the monitor: 3 is the ready pipe.
const configFDNum = 4

// Pending is a monitor started by Prespawn that has not had its config.
type Pending struct {
	id, dir string
	cmd     *exec.Cmd
	config  *os.File // write end of the config pipe
	ready   *os.File // read end of the ready pipe
	done    chan struct{}
	started bool // Start was called: the monitor is on its own
}

// Prespawn starts a monitor for the container id whose directory will
// be dir; it waits for Start or Abort.
func Prespawn(binary, id, dir string) (*Pending, error) {
	if id == "" || dir == "" {
		return nil, fmt.Errorf("prespawn needs the container ID and the monitor dir: %w", errdefs.ErrInvalidArgument)
	}
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cfgR, cfgW, err := os.Pipe()
	if err != nil {
		readyR.Close()
		readyW.Close()
		return nil, err
	}
	cmd := monitorCommand(binary, []string{"--id", id, "--dir", dir, "--config-fd", strconv.Itoa(configFDNum)})
	// Stdout and stderr are /dev/null until the monitor has its config
	// and points them at its log (RedirectLog).
	cmd.ExtraFiles = []*os.File{readyW, cfgR}
	err = cmd.Start()
	readyW.Close()
	cfgR.Close()
	if err != nil {
		readyR.Close()
		cfgW.Close()
		return nil, fmt.Errorf("starting monitor: %w", err)
	}
	p := &Pending{id: id, dir: dir, cmd: cmd, config: cfgW, ready: readyR, done: make(chan struct{})}
	go func() {
		procwait.Wait(cmd) // as Spawn's reaper: parked, not in waitid
		close(p.done)
	}()
	return p, nil
}

// Start hands cfg to the monitor and waits until it created the container
// (or failed to), as Spawn does. cfg must be for the ID and directory the
// monitor was started with. A cfg that is refused ends the monitor.
func (p *Pending) Start(ctx context.Context, cfg Config) (*Client, int, error) {
	if p.started {
		return nil, 0, fmt.Errorf("monitor for %s already started: %w", p.id, errdefs.ErrConflict)
	}
	if cfg.ID != p.id || cfg.Dir != p.dir {
		p.Abort()
		return nil, 0, fmt.Errorf("monitor started for %s in %s, config for %s in %s: %w", p.id, p.dir, cfg.ID, cfg.Dir, errdefs.ErrInvalidArgument)
	}
	if err := cfg.validate(); err != nil {
		p.Abort()
		return nil, 0, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		p.Abort()
		return nil, 0, fmt.Errorf("creating monitor dir: %w", err)
	}
	p.started = true
	defer p.ready.Close()
	var b bytes.Buffer
	for _, a := range cfg.Args() {
		b.WriteString(a)
		b.WriteByte(0)
	}
	// A monitor that died meanwhile makes this fail (EPIPE), and the
	// ready pipe then says it exited before creating the container.
	p.config.Write(b.Bytes())
	p.config.Close()
	return awaitReady(ctx, p.ready, cfg.Dir)
}

// Abort ends a monitor that will get no config and waits until it is
// gone: it exits by itself on EOF, and is killed if it did not within a
// few seconds (then Abort says so). After Start it does nothing: the
// monitor then ends as a spawned one does.
func (p *Pending) Abort() error {
	if p.started {
		return nil
	}
	p.started = true
	p.config.Close()
	p.ready.Close()
	select {
	case <-p.done:
		return nil
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("prespawned monitor %d did not exit on EOF: killed", p.cmd.Process.Pid)
	}
}

// Pid is the monitor's process ID.
func (p *Pending) Pid() int { return p.cmd.Process.Pid }

// ConfigFD reports whether args ask for the config on a pipe (Prespawn's
// command line) and which descriptor.
func ConfigFD(args []string) (int, bool) {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "--config-fd" {
			fd, err := strconv.Atoi(args[i+1])
			return fd, err == nil && fd > 2
		}
	}
	return 0, false
}

// WarmUp does, while a prespawned monitor waits for its config, the
// one-time work its first runtime call would otherwise do on the
// container's start path: Go's check that pidfds work, which forks and
// reaps a child before the first exec.
func WarmUp() {
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		p.Release()
	}
}

// ReadConfigArgs reads the command line Pending.Start writes on fd. No
// arguments at all (nil) means the engine gave up on the container: the
// monitor should exit having made nothing.
func ReadConfigArgs(fd int) ([]string, error) {
	f := os.NewFile(uintptr(fd), "config")
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	if len(b) == 0 {
		return nil, nil
	}
	if b[len(b)-1] != 0 {
		return nil, fmt.Errorf("config cut short: %w", errdefs.ErrInvalidArgument)
	}
	var args []string
	for _, a := range bytes.Split(b[:len(b)-1], []byte{0}) {
		args = append(args, string(a))
	}
	return args, nil
}
