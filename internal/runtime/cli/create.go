package cli

import (
	"os"

	"github.com/spf13/cobra"

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

func (f *createFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVarP(&f.bundle, "bundle", "b", "", "path to the root of the bundle directory (default: current directory)")
	fl.StringVar(&f.consoleSocket, "console-socket", "", "path to a unix socket that receives the pty master")
	fl.StringVar(&f.pidFile, "pid-file", "", "file to write the container's init pid to")
	fl.BoolVar(&f.noPivot, "no-pivot", false, "do not use pivot_root (MS_MOVE and chroot instead)")
	fl.BoolVar(&f.noNewKeyring, "no-new-keyring", false, "do not create a new session keyring")
	fl.IntVar(&f.preserveFDs, "preserve-fds", 0, "pass N more file descriptors (from 3) to the container")
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

func createCmd(g *globals) *cobra.Command {
	f := &createFlags{}
	cmd := &cobra.Command{
		Use:   "create [flags] CONTAINER_ID",
		Short: "create a container (its process waits for start)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := container.Create(cmd.Context(), g.root, args[0], f.bundleDir(), f.options())
			return err
		},
	}
	f.register(cmd)
	return cmd
}
