package cli

import (
	"os"

	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/runtime/container"
)

func runCmd(g *globals) *command {
	f := &createFlags{}
	var detach, keep bool
	cmd := newCommand("run [flags] CONTAINER_ID", "create and start a container; wait for it unless --detach", exactArgs(1),
		func(cl *call) error {
			ctx, args := cl.ctx, cl.args
			if !detach {
				// The init ends up our grandchild (nsenter forks into the
				// pid namespace); as a subreaper we still reap it.
				if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
					return err
				}
			}
			var sigs <-chan os.Signal
			if !detach {
				sigs = catchSignals()
			}
			opts := f.options()
			// Read config.json once: for the terminal decision and Create.
			cfg, err := container.LoadSpec(f.bundleDir())
			if err != nil {
				return err
			}
			opts.Config = cfg
			spec := cfg.Spec
			var tty *ttyProxy
			if !detach && f.consoleSocket == "" && spec.Process != nil && spec.Process.Terminal {
				if tty, err = newTTYProxy(); err != nil {
					return err
				}
				defer tty.close()
				opts.ConsoleSocket = tty.socketPath()
			}
			c, err := container.Create(ctx, g.root, args[0], f.bundleDir(), opts)
			if err != nil {
				return err
			}
			if tty != nil {
				if err := tty.start(); err != nil {
					c.Delete(ctx, true)
					return err
				}
			}
			if detach {
				if _, err := c.Start(ctx); err != nil {
					c.Delete(ctx, true)
					return err
				}
				return nil
			}
			if _, err := c.Start(ctx); err != nil {
				c.Delete(ctx, true)
				return err
			}
			code, err := container.WaitReap(c.State().Pid, sigs)
			if tty != nil {
				tty.finish()
			}
			if !keep {
				if _, derr := c.Delete(ctx, true); err == nil {
					err = derr
				}
			}
			if err != nil {
				return err
			}
			return exitError{code: code}
		})
	f.register(cmd)
	cmd.flags.boolVar(&detach, "detach", "d", "detach from the container's process")
	cmd.flags.boolVar(&keep, "keep", "", "do not delete the container after it exits")
	return cmd
}
