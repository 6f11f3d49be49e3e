package ocicli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// CreateOpts are the options of Create. All are optional.
type CreateOpts struct {
	// PidFile receives the container init's pid (--pid-file).
	PidFile string
	// ConsoleSocket is a unix socket the runtime sends the pty master to,
	// for a bundle whose process.terminal is true (--console-socket).
	ConsoleSocket string
	// NoPivot passes --no-pivot.
	NoPivot bool
	// IO is the container's stdio when process.terminal is false.
	IO *IO
	// ExtraFiles are passed to the container as fd 3 and up
	// (--preserve-fds).
	ExtraFiles []*os.File
}

// Create creates container id from the bundle directory; the container's
// process waits for Start.
func (r Runtime) Create(ctx context.Context, id, bundle string, opts CreateOpts) error {
	_, err := r.run(ctx, call{op: "create", id: id, args: createArgs(id, bundle, opts), io: ioOrEmpty(opts.IO), extraFiles: opts.ExtraFiles})
	return err
}

// Run creates container id from the bundle and starts its process in one
// runtime call (`run --detach`), returning once the process runs: Create
// then Start without the second runtime process. A program that cannot
// be run fails here as it would fail Create (see ExitCode). Every runtime
// with runc's command line has it (runc, crun, cais-runtime).
func (r Runtime) Run(ctx context.Context, id, bundle string, opts CreateOpts) error {
	args := append([]string{"--detach"}, createArgs(id, bundle, opts)...)
	_, err := r.run(ctx, call{op: "run", id: id, args: args, io: ioOrEmpty(opts.IO), extraFiles: opts.ExtraFiles})
	return err
}

// createArgs are the arguments create and run take, the ID last.
func createArgs(id, bundle string, opts CreateOpts) []string {
	args := []string{"--bundle", bundle}
	if opts.PidFile != "" {
		args = append(args, "--pid-file", opts.PidFile)
	}
	if opts.ConsoleSocket != "" {
		args = append(args, "--console-socket", opts.ConsoleSocket)
	}
	if opts.NoPivot {
		args = append(args, "--no-pivot")
	}
	if n := len(opts.ExtraFiles); n > 0 {
		args = append(args, "--preserve-fds", strconv.Itoa(n))
	}
	return append(args, id)
}

// ioOrEmpty gives a create or exec call container stdio even when the
// caller passed none, so the runtime's own stdout (which a container would
// inherit) is never a pipe back to us.
func ioOrEmpty(io *IO) *IO {
	if io == nil {
		return &IO{}
	}
	return io
}

// Start runs the process of a created container.
func (r Runtime) Start(ctx context.Context, id string) error {
	_, err := r.run(ctx, call{op: "start", id: id, args: []string{id}})
	return err
}

// State is the runtime-spec state of a container, as `state` prints it.
type State = specs.State

// State returns the container's state. A container the runtime does not
// know is an error matching errdefs.ErrNotFound.
func (r Runtime) State(ctx context.Context, id string) (State, error) {
	res, err := r.run(ctx, call{op: "state", id: id, args: []string{id}})
	if err != nil {
		return State{}, err
	}
	var s State
	if err := json.Unmarshal(res.stdout, &s); err != nil {
		return State{}, fmt.Errorf("decoding state of %s: %w", id, err)
	}
	return s, nil
}

// List returns the states of all containers under the runtime's root.
func (r Runtime) List(ctx context.Context) ([]ListEntry, error) {
	res, err := r.run(ctx, call{op: "list", args: []string{"--format", "json"}})
	if err != nil {
		return nil, err
	}
	var l []ListEntry
	if err := json.Unmarshal(res.stdout, &l); err != nil && len(res.stdout) > 0 {
		return nil, fmt.Errorf("decoding list: %w", err)
	}
	return l, nil
}

// ListEntry is one container as `list --format json` prints it.
type ListEntry struct {
	ID     string `json:"id"`
	Pid    int    `json:"pid"`
	Status string `json:"status"`
	Bundle string `json:"bundle"`
}

// Kill sends sig to the container's init, or with all to every process
// of the container.
func (r Runtime) Kill(ctx context.Context, id string, sig syscall.Signal, all bool) error {
	args := []string{}
	if all {
		args = append(args, "--all")
	}
	_, err := r.run(ctx, call{op: "kill", id: id, args: append(args, id, strconv.Itoa(int(sig)))})
	return err
}

// Delete removes a stopped container; with force it kills a running one
// first.
func (r Runtime) Delete(ctx context.Context, id string, force bool) error {
	args := []string{}
	if force {
		args = append(args, "--force")
	}
	_, err := r.run(ctx, call{op: "delete", id: id, args: append(args, id)})
	return err
}

// Pause freezes every process of the container.
func (r Runtime) Pause(ctx context.Context, id string) error {
	_, err := r.run(ctx, call{op: "pause", id: id, args: []string{id}})
	return err
}

// Resume thaws a paused container.
func (r Runtime) Resume(ctx context.Context, id string) error {
	_, err := r.run(ctx, call{op: "resume", id: id, args: []string{id}})
	return err
}
