package hooks

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/errdefs"
)

// recordEnv, in a hook's environment, makes the test binary act as a hook
// that writes what it received (a record) to the named file.
const recordEnv = "CAIS_HOOK_TEST_RECORD"

// record is what a hook process received.
type record struct {
	Args  []string
	Env   []string
	State specs.State
}

func TestMain(m *testing.M) {
	if path := os.Getenv(recordEnv); path != "" {
		os.Exit(recordHook(path))
	}
	os.Exit(m.Run())
}

func recordHook(path string) int {
	var r record
	r.Args, r.Env = os.Args, os.Environ()
	if err := json.NewDecoder(os.Stdin).Decode(&r.State); err != nil {
		os.Stderr.WriteString("decoding state: " + err.Error())
		return 2
	}
	b, _ := json.Marshal(r)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return 2
	}
	return 0
}

func readRecord(t *testing.T, path string) record {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("hook left no record: %v", err)
	}
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func testState() *specs.State {
	return &specs.State{
		Version:     specs.Version,
		ID:          "c1",
		Status:      specs.StateCreated,
		Pid:         4242,
		Bundle:      "/run/bundle",
		Annotations: map[string]string{"a": "b"},
	}
}

// TestRunPassesExactly checks argv, environment and stdin as the hook
// process sees them, using the test binary itself as the hook.
func TestRunPassesExactly(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// Must not reach any hook.
	t.Setenv("CAIS_HOOK_TEST_LEAK", "runtime-env")
	tests := []struct {
		name     string
		args     []string
		env      []string
		wantArgs []string
	}{
		{
			name:     "args and env as given",
			args:     []string{"my-hook", "first arg", "second"},
			env:      []string{"A=1", "B=two words"},
			wantArgs: []string{"my-hook", "first arg", "second"},
		},
		{
			name:     "no args means argv[0] is the path",
			env:      []string{"ONLY=this"},
			wantArgs: []string{self},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "record.json")
			env := append(append([]string{}, tt.env...), recordEnv+"="+out)
			h := specs.Hook{Path: self, Args: tt.args, Env: env}
			if err := Run(context.Background(), "prestart", h, testState()); err != nil {
				t.Fatalf("Run() error = %v", err)
			}
			got := readRecord(t, out)
			if diff := cmp.Diff(tt.wantArgs, got.Args); diff != "" {
				t.Errorf("argv (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(env, got.Env); diff != "" {
				t.Errorf("environment (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(*testState(), got.State); diff != "" {
				t.Errorf("state on stdin (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRunNilEnv checks a hook without env gets an empty environment, not
// the runtime's. A shell script copies its initial environment to a file.
func TestRunNilEnv(t *testing.T) {
	t.Setenv("CAIS_HOOK_TEST_LEAK", "runtime-env")
	dir := t.TempDir()
	out := filepath.Join(dir, "environ")
	hook := writeScript(t, dir, "cat /proc/$$/environ > "+out)
	if err := Run(context.Background(), "poststop", specs.Hook{Path: hook}, testState()); err != nil {
		t.Fatalf("Run() error = %v", err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 0 {
		t.Errorf("hook environment = %q, want empty", b)
	}
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	failing := writeScript(t, dir, `echo "first line" >&2
echo "second line" >&2
exit 3`)
	killed := writeScript(t, dir, `kill -9 $$`)
	tests := []struct {
		name    string
		hook    specs.Hook
		wantErr string
		wantIs  error
	}{
		{
			name:    "exit status with stderr",
			hook:    specs.Hook{Path: failing},
			wantErr: "hook prestart " + failing + `: exit status 3: stderr: "first line\nsecond line"`,
		},
		{
			name:    "killed by a signal",
			hook:    specs.Hook{Path: killed},
			wantErr: "hook prestart " + killed + ": signal: killed",
		},
		{
			name:    "missing binary",
			hook:    specs.Hook{Path: filepath.Join(dir, "no-such-hook")},
			wantErr: "hook prestart " + filepath.Join(dir, "no-such-hook") + ": starting: fork/exec " + filepath.Join(dir, "no-such-hook") + ": no such file or directory",
			wantIs:  fs.ErrNotExist,
		},
		{
			name:    "relative path",
			hook:    specs.Hook{Path: "bin/hook"},
			wantErr: "hook prestart bin/hook: path is not absolute: invalid argument",
			wantIs:  errdefs.ErrInvalidArgument,
		},
		{
			name:    "zero timeout",
			hook:    specs.Hook{Path: failing, Timeout: intPtr(0)},
			wantErr: "hook prestart " + failing + ": timeout 0 is not positive: invalid argument",
			wantIs:  errdefs.ErrInvalidArgument,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Run(context.Background(), "prestart", tt.hook, testState())
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("Run() error = %v, want %q", err, tt.wantErr)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("Run() error %v is not %v", err, tt.wantIs)
			}
		})
	}
}

func TestRunStderrIsBounded(t *testing.T) {
	dir := t.TempDir()
	hook := writeScript(t, dir, `i=0
while [ $i -lt 20 ]; do echo "line $i" >&2; i=$((i+1)); done
exit 1`)
	err := Run(context.Background(), "prestart", specs.Hook{Path: hook}, testState())
	want := `exit status 1: stderr: "line 0\nline 1\nline 2\nline 3\nline 4\n..."`
	if err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Fatalf("Run() error = %v, want it to end with %s", err, want)
	}
}

// TestRunTimeout checks the timeout kills the hook's whole process group:
// the hook starts a background sleep, records its pid and waits on it.
func TestRunTimeout(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	hook := writeScript(t, dir, "/bin/sleep 1000 &\necho $! > "+pidFile+"\nwait")
	err := Run(context.Background(), "prestart", specs.Hook{Path: hook, Timeout: intPtr(1)}, testState())
	want := "hook prestart " + hook + ": timed out after 1s"
	if err == nil || err.Error() != want {
		t.Fatalf("Run() error = %v, want %q", err, want)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	waitDead(t, pid)
}

func TestRunContextCanceled(t *testing.T) {
	dir := t.TempDir()
	hook := writeScript(t, dir, "exec /bin/sleep 1000")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Run(ctx, "poststop", specs.Hook{Path: hook}, testState())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run() error = %v, want context.Canceled", err)
	}
}

// TestRunIgnoresUnreadStdin: a hook need not read the state.
func TestRunIgnoresUnreadStdin(t *testing.T) {
	dir := t.TempDir()
	hook := writeScript(t, dir, "exit 0")
	st := testState()
	st.Annotations["big"] = strings.Repeat("x", 1<<20)
	if err := Run(context.Background(), "prestart", specs.Hook{Path: hook}, st); err != nil {
		t.Fatalf("Run() error = %v", err)
	}
}

func TestRunAll(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	one := writeScriptNamed(t, dir, "one", "echo one >> "+log)
	fail := writeScriptNamed(t, dir, "fail", "echo fail >> "+log+"\nexit 7")
	three := writeScriptNamed(t, dir, "three", "echo three >> "+log)
	tests := []struct {
		name    string
		hooks   []specs.Hook
		wantLog string
		wantErr string
	}{
		{name: "none", wantLog: ""},
		{name: "in order", hooks: []specs.Hook{{Path: one}, {Path: three}}, wantLog: "one\nthree\n"},
		{
			name:    "stops at the first error",
			hooks:   []specs.Hook{{Path: one}, {Path: fail}, {Path: three}},
			wantLog: "one\nfail\n",
			wantErr: "hook createRuntime " + fail + ": exit status 7",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.Remove(log)
			err := RunAll(context.Background(), "createRuntime", tt.hooks, testState())
			if (tt.wantErr == "" && err != nil) || (tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr)) {
				t.Fatalf("RunAll() error = %v, want %q", err, tt.wantErr)
			}
			b, err := os.ReadFile(log)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Fatal(err)
			}
			if got := string(b); got != tt.wantLog {
				t.Errorf("hooks ran %q, want %q", got, tt.wantLog)
			}
		})
	}
}

// writeScript writes a /bin/sh hook with a fresh name into dir.
func writeScript(t *testing.T, dir, body string) string {
	t.Helper()
	f, err := os.CreateTemp(dir, "hook-")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	return writeScriptNamed(t, dir, filepath.Base(f.Name()), body)
}

func writeScriptNamed(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	// WriteFile keeps the mode of a file that already exists.
	if err := os.Chmod(p, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// waitDead waits until pid is gone or a zombie. The SIGKILL has been sent
// when Run returns; the process may still need to be scheduled to die, so
// this polls, failing only after a generous bound.
func waitDead(t *testing.T, pid int) {
	t.Helper()
	for i := 0; i < 1000; i++ {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
			return
		}
		if err != nil && !errors.Is(err, io.EOF) {
			t.Fatal(err)
		}
		if _, after, ok := strings.Cut(string(b), ") "); ok && (after[0] == 'Z' || after[0] == 'X') {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	t.Fatalf("process %d the hook started survived the timeout", pid)
}

func intPtr(n int) *int { return &n }
