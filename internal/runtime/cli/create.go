package cli

import (
	"os"

	"github.com/cais-project/cais/internal/runtime/container"
)

// createFlags are the flags create and run share.
type createFlags struct {
	bundle        string
	consoleSocket string
	pidFile       string
	noPivot       bool
	noNewKeyring  bool
	preserveFDs   int
}

func (f *createFlags) register(cmd *command) {
	fl := cmd.flags
	fl.stringVar(&f.bundle, "bundle", "b", "", "path to the root of the bundle directory (default: current directory)")
	fl.stringVar(&f.consoleSocket, "console-socket", "", "", "path to a unix socket that receives the pty master")
	fl.stringVar(&f.pidFile, "pid-file", "", "", "file to write the container's init pid to")
	fl.boolVar(&f.noPivot, "no-pivot", "", "do not use pivot_root (MS_MOVE and chroot instead)")
	fl.boolVar(&f.noNewKeyring, "no-new-keyring", "", "do not create a new session keyring")
	fl.intVar(&f.preserveFDs, "preserve-fds", "", 0, "pass N more file descriptors (from 3) to the container")
}

func (f *createFlags) options() container.CreateOptions {
	return container.CreateOptions{
		ConsoleSocket: f.consoleSocket, PidFile: f.pidFile, NoPivot: f.noPivot,
		NoNewKeyring: f.noNewKeyring, PreserveFDs: f.preserveFDs,
		IO: container.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr},
	}
}

func (f *createFlags) bundleDir() string {
	if f.bundle == "" {
		if wd, err := os.Getwd(); err == nil {
			return wd
		}
	}
	return f.bundle
}

func createCmd(g *globals) *command {
	f := &createFlags{}
	cmd := newCommand("create [flags] CONTAINER_ID", "create a container (its process waits for start)", exactArgs(1),
		func(c *call) error {
			_, err := container.Create(c.ctx, g.root, c.args[0], f.bundleDir(), f.options())
			return err
		})
	f.register(cmd)
	return cmd
}
