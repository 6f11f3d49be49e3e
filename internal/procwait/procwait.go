package procwait

import (
	"bytes"
	"errors"
	"os/exec"
)

// Run starts cmd and waits for it, as cmd.Run does.
func Run(cmd *exec.Cmd) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	return Wait(cmd)
}

// Wait waits for the started cmd to exit, then reaps it and finishes its
// I/O, as cmd.Wait does.
func Wait(cmd *exec.Cmd) error {
	Exited(cmd.Process.Pid)
	return cmd.Wait()
}

// Output runs cmd and returns its standard output, as cmd.Output does:
// when cmd.Stderr is nil, an *exec.ExitError carries the standard error.
func Output(cmd *exec.Cmd) ([]byte, error) {
	if cmd.Stdout != nil {
		return nil, errors.New("procwait: Stdout already set")
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	captureErr := cmd.Stderr == nil
	if captureErr {
		cmd.Stderr = &stderr
	}
	err := Run(cmd)
	var ee *exec.ExitError
	if captureErr && errors.As(err, &ee) {
		ee.Stderr = stderr.Bytes()
	}
	return stdout.Bytes(), err
}
