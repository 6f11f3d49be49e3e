package network

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/containernetworking/cni/pkg/invoke"
	"github.com/containernetworking/cni/pkg/types"
	"github.com/containernetworking/cni/pkg/version"

	"github.com/cais-project/cais/internal/procwait"
)

// pluginExec runs CNI plugins for libcni the way its default executor
// does (the plugin's stdout is its result, a failure's JSON error on
// stdout is the error), but waits for each plugin through
// procwait: a CLI attaching a container otherwise spends the plugins'
// ~40 ms in a blocking waitid, with Go's sysmon polling meanwhile.
type pluginExec struct {
	version.PluginDecoder
}

var _ invoke.Exec = (*pluginExec)(nil)

// ExecPlugin runs pluginPath with stdinData on its stdin and environ as
// its environment, and returns its stdout.
func (*pluginExec) ExecPlugin(ctx context.Context, pluginPath string, stdinData []byte, environ []string) ([]byte, error) {
	for try := 1; ; try++ {
		var stdout, stderr bytes.Buffer
		cmd := exec.CommandContext(ctx, pluginPath)
		cmd.Env = environ
		cmd.Stdin = bytes.NewReader(stdinData)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := procwait.Run(cmd)
		if err == nil {
			return stdout.Bytes(), nil
		}
		// A plugin binary being replaced (a package upgrade) cannot be
		// executed for a moment.
		if errors.Is(err, syscall.ETXTBSY) && try < 5 {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		return nil, pluginError(err, stdout.Bytes(), stderr.Bytes())
	}
}

// FindInPath finds the plugin in the CNI path.
func (*pluginExec) FindInPath(plugin string, paths []string) (string, error) {
	return invoke.FindInPath(plugin, paths)
}

// pluginError is a failed plugin's error as the CNI spec defines it: the
// JSON error object it printed on stdout, else what it printed on stderr.
func pluginError(err error, stdout, stderr []byte) error {
	e := &types.Error{}
	switch {
	case len(stdout) > 0:
		if jerr := json.Unmarshal(stdout, e); jerr != nil || e.Msg == "" && e.Code == 0 {
			e.Msg = fmt.Sprintf("plugin failed (%v) with unreadable output %q", err, strings.TrimSpace(string(stdout)))
		}
	case len(stderr) > 0:
		e.Msg = fmt.Sprintf("plugin failed (%v): %s", err, strings.TrimSpace(string(stderr)))
	default:
		e.Msg = fmt.Sprintf("plugin failed (%v) without a message", err)
	}
	return e
}
