package network

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containernetworking/cni/pkg/types"
)

// TestPluginExec runs small plugin scripts through pluginExec: the result
// on stdout, the stdin and environment the plugin got, and a failure's
// error taken from its JSON on stdout or else from its stderr.
func TestPluginExec(t *testing.T) {
	dir := t.TempDir()
	plugin := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	x := &pluginExec{}
	ctx := context.Background()

	out, err := x.ExecPlugin(ctx, plugin("ok", `read -r in; echo "{\"got\":\"$in\",\"cmd\":\"$CNI_COMMAND\"}"`), []byte("hello\n"), []string{"CNI_COMMAND=ADD"})
	if err != nil || strings.TrimSpace(string(out)) != `{"got":"hello","cmd":"ADD"}` {
		t.Fatalf("ok plugin: %q, %v", out, err)
	}

	_, err = x.ExecPlugin(ctx, plugin("jsonerr", `echo '{"cniVersion":"1.0.0","code":11,"msg":"no such thing","details":"d"}'; exit 1`), nil, nil)
	var te *types.Error
	if !errors.As(err, &te) || te.Code != 11 || te.Msg != "no such thing" || te.Details != "d" {
		t.Fatalf("JSON error: %#v", err)
	}

	_, err = x.ExecPlugin(ctx, plugin("stderr", `echo "it broke" >&2; exit 2`), nil, nil)
	if err == nil || !strings.Contains(err.Error(), "it broke") {
		t.Fatalf("stderr error: %v", err)
	}

	_, err = x.ExecPlugin(ctx, plugin("silent", `exit 3`), nil, nil)
	if err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("silent failure: %v", err)
	}

	if p, err := x.FindInPath("ok", []string{"/nonexistent", dir}); err != nil || p != filepath.Join(dir, "ok") {
		t.Fatalf("FindInPath: %q, %v", p, err)
	}
}
