package seccomp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Loading a filter cannot be undone, so every test that loads one runs the
// test binary again as a child (TestMain sees childEnv), which sets
// no_new_privs, loads the profile, makes the requested syscalls and prints
// what each returned. The parent asserts on that output and on how the child
// ended.

const childEnv = "CAIS_SECCOMP_TEST_CHILD"

func TestMain(m *testing.M) {
	if req := os.Getenv(childEnv); req != "" {
		os.Exit(runChild(req))
	}
	os.Exit(m.Run())
}

// call is one raw syscall the child makes after loading the filter.
type call struct {
	Nr   uintptr
	Args [6]uintptr
	// Path, when set, replaces Args[0] with a pointer to this string.
	Path string `json:",omitempty"`
	// OnThread makes the call from a goroutine locked to a thread other
	// than the main one and reports whether that thread was killed.
	OnThread bool `json:",omitempty"`
	// CloseFd closes the returned fd when the call succeeds (socket).
	CloseFd bool `json:",omitempty"`
}

// result is what the child observed for one call.
type result struct {
	Errno        syscall.Errno `json:",omitempty"`
	ThreadKilled bool          `json:",omitempty"`
}

func (r result) String() string {
	if r.ThreadKilled {
		return "thread killed"
	}
	if r.Errno == 0 {
		return "ok"
	}
	return fmt.Sprintf("%d (%v)", int(r.Errno), r.Errno)
}

// childRequest is what the parent asks of the child.
type childRequest struct {
	Profile specs.LinuxSeccomp
	Calls   []call
	// SendListener passes the listener fd to Profile.ListenerPath.
	SendListener bool
	// WithoutPrivilege loads without no_new_privs and without
	// CAP_SYS_ADMIN, and reports Load's errno as the first result.
	WithoutPrivilege bool
	// ViaFilter loads with Filter.Load (libseccomp) instead of exporting
	// a Program and loading that, as the runtime does.
	ViaFilter bool
}

// outcome is how a child ended, compared whole with cmp.
type outcome struct {
	Results []string
	// Signal is the signal that killed the child, "" if it exited.
	Signal string
	Exit   int
}

// runInChild runs req in a child and returns its outcome and stderr.
// A child that fails to set up (bad profile, failed Load) exits 100 and
// says why on stderr, which fails the test.
func runInChild(t *testing.T, req childRequest) (outcome, string) {
	t.Helper()
	reqPath := filepath.Join(t.TempDir(), "request.json")
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(reqPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childEnv+"="+reqPath, "GOTRACEBACK=single")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatalf("running child: %v", err)
	}
	out := outcome{Results: []string{}}
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		out.Signal = ws.Signal().String()
	} else {
		out.Exit = ws.ExitStatus()
	}
	if out.Exit == 100 {
		t.Fatalf("child setup failed: %s", stderr.String())
	}
	dec := json.NewDecoder(&stdout)
	for dec.More() {
		var r result
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("decoding child output: %v (stderr: %s)", err, stderr.String())
		}
		out.Results = append(out.Results, r.String())
	}
	return out, stderr.String()
}

func runChild(reqPath string) int {
	fail := func(format string, args ...any) int {
		fmt.Fprintf(os.Stderr, format+"\n", args...)
		return 100
	}
	b, err := os.ReadFile(reqPath)
	if err != nil {
		return fail("reading request: %v", err)
	}
	var req childRequest
	if err := json.Unmarshal(b, &req); err != nil {
		return fail("decoding request: %v", err)
	}
	f, err := Compile(&req.Profile)
	if err != nil {
		return fail("Compile: %v", err)
	}
	load := f.Load
	if !req.ViaFilter {
		p, err := f.Program()
		if err != nil {
			return fail("Program: %v", err)
		}
		load = p.Load
	}
	enc := json.NewEncoder(os.Stdout)
	if req.WithoutPrivilege {
		return loadWithoutPrivilege(load, enc)
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fail("setting no_new_privs: %v", err)
	}
	fd, err := load()
	if err != nil {
		return fail("Load: %v", err)
	}
	if req.SendListener {
		state := specs.ContainerProcessState{
			Version:  specs.Version,
			Fds:      []string{ListenerFdName},
			Pid:      os.Getpid(),
			Metadata: req.Profile.ListenerMetadata,
			State: specs.State{Version: specs.Version, ID: "seccomp-test", Status: specs.StateCreating,
				Pid: os.Getpid(), Bundle: "/nonexistent"},
		}
		if err := SendListener(req.Profile.ListenerPath, state, []int{fd}); err != nil {
			return fail("SendListener: %v", err)
		}
	}
	for _, c := range req.Calls {
		if err := enc.Encode(makeCall(c)); err != nil {
			return fail("writing result: %v", err)
		}
	}
	return 0
}

func makeCall(c call) result {
	if !c.OnThread {
		return rawCall(c)
	}
	done := make(chan result, 1)
	tids := make(chan int, 1)
	go onOtherThread(func() {
		tids <- unix.Gettid()
		done <- rawCall(c)
	})
	tid := <-tids
	// The thread either returns a result or dies (SECCOMP_RET_KILL_THREAD),
	// which removes its /proc entry. Wait for whichever comes first.
	for {
		select {
		case r := <-done:
			return r
		default:
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/self/task/%d", tid)); errors.Is(err, os.ErrNotExist) {
			// A thread that returned also exits (its goroutine ends
			// locked), but only after sending its result.
			select {
			case r := <-done:
				return r
			default:
				return result{ThreadKilled: true}
			}
		}
		runtime.Gosched()
	}
}

// onOtherThread runs fn on a locked thread that is not the thread group
// leader (whose death would leave a zombie entry in /proc instead of
// removing it).
func onOtherThread(fn func()) {
	runtime.LockOSThread()
	if unix.Gettid() != unix.Getpid() {
		fn()
		return
	}
	// This thread is locked, so the goroutine below gets another one.
	// Returning without unlocking makes the runtime drop this thread, fine
	// in a throwaway child.
	go onOtherThread(fn)
}

func rawCall(c call) result {
	args := c.Args
	var path *byte
	if c.Path != "" {
		var err error
		if path, err = unix.BytePtrFromString(c.Path); err != nil {
			return result{Errno: unix.EINVAL}
		}
		args[0] = uintptr(unsafe.Pointer(path))
	}
	r1, _, errno := unix.Syscall6(c.Nr, args[0], args[1], args[2], args[3], args[4], args[5])
	runtime.KeepAlive(path)
	if errno == 0 && c.CloseFd {
		unix.Close(int(r1))
	}
	return result{Errno: errno}
}

// loadWithoutPrivilege drops CAP_SYS_ADMIN from the effective set of this
// thread (capabilities are per thread; the cgo call into libseccomp runs on
// it) and loads with no_new_privs unset, reporting Load's errno and
// whether no_new_privs is still unset afterwards.
func loadWithoutPrivilege(load func() (int, error), enc *json.Encoder) int {
	runtime.LockOSThread()
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		fmt.Fprintf(os.Stderr, "capget: %v\n", err)
		return 100
	}
	data[unix.CAP_SYS_ADMIN/32].Effective &^= 1 << (unix.CAP_SYS_ADMIN % 32)
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		fmt.Fprintf(os.Stderr, "capset: %v\n", err)
		return 100
	}
	var r result
	if _, err := load(); !errors.As(err, &r.Errno) {
		fmt.Fprintf(os.Stderr, "Load() error = %v, want an errno\n", err)
		return 100
	}
	nnp, err := unix.PrctlRetInt(unix.PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)
	if err != nil || nnp != 0 {
		fmt.Fprintf(os.Stderr, "no_new_privs = %d, %v after Load; want 0\n", nnp, err)
		return 100
	}
	if err := enc.Encode(r); err != nil {
		return 100
	}
	return 0
}
