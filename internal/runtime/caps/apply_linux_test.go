package caps

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cais-project/cais/internal/testgate"
)

// childEnv carries a childConfig to the re-executed test binary.
const childEnv = "CAIS_CAPS_TEST_CHILD"

// childConfig is what the child applies before it execs busybox.
type childConfig struct {
	Caps *specs.LinuxCapabilities `json:"caps"`
	UID  int                      `json:"uid"`
}

// Markers separating the child's output: its own thread's status, read
// just before exec, then what the exec'd program sees.
const (
	threadMarker = "=== thread before exec ===\n"
	execMarker   = "=== exec'd program ===\n"
)

func TestMain(m *testing.M) {
	if cfg := os.Getenv(childEnv); cfg != "" {
		runChild(cfg)
		return // not reached: runChild execs or exits
	}
	os.Exit(m.Run())
}

// runChild plays the container's init: it starts from a dirty state (extra
// inheritable and ambient capabilities, as a careless parent could leave
// them), applies the Set around a uid change and execs busybox cat.
func runChild(raw string) {
	runtime.LockOSThread()
	fail := func(step string, err error) {
		fmt.Fprintf(os.Stderr, "child: %s: %v\n", step, err)
		os.Exit(3)
	}
	var cfg childConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		fail("decoding config", err)
	}
	if err := dirty(); err != nil {
		fail("dirtying capabilities", err)
	}
	s, _, err := Parse(cfg.Caps)
	if err != nil {
		fail("parse", err)
	}
	err = s.ApplyAroundUserChange(func() error {
		if err := syscall.Setgroups(nil); err != nil {
			return err
		}
		if err := syscall.Setresgid(cfg.UID, cfg.UID, cfg.UID); err != nil {
			return err
		}
		return syscall.Setresuid(cfg.UID, cfg.UID, cfg.UID)
	})
	if err != nil {
		fail("apply", err)
	}
	status, err := os.ReadFile("/proc/thread-self/status")
	if err != nil {
		fail("reading thread status", err)
	}
	os.Stdout.WriteString(threadMarker)
	os.Stdout.Write(status)
	os.Stdout.WriteString(execMarker)
	err = unix.Exec("/bin/busybox", []string{"cat", "/proc/self/status"}, []string{})
	fail("exec", err)
}

// dirty raises inheritable CAP_CHOWN|CAP_KILL|CAP_NET_BIND_SERVICE and
// ambient CAP_CHOWN|CAP_NET_BIND_SERVICE on the calling thread, so the tests
// see Apply clear what the config leaves out.
func dirty() error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return err
	}
	data[0].Inheritable |= 1<<unix.CAP_CHOWN | 1<<unix.CAP_KILL | 1<<unix.CAP_NET_BIND_SERVICE
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return err
	}
	for _, c := range []int{unix.CAP_CHOWN, unix.CAP_NET_BIND_SERVICE} {
		if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, uintptr(c), 0, 0); err != nil {
			return err
		}
	}
	return nil
}

// runInChild runs the test binary as a child applying cfg and returns the
// masks its thread held before exec and those busybox saw, and its uid.
func runInChild(t *testing.T, cfg childConfig) (thread, program masks, uid int, stderr string, err error) {
	t.Helper()
	raw, jerr := json.Marshal(cfg)
	if jerr != nil {
		t.Fatal(jerr)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(raw))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return masks{}, masks{}, 0, errb.String(), err
	}
	before, after, ok := strings.Cut(strings.TrimPrefix(out.String(), threadMarker), execMarker)
	if !ok {
		t.Fatalf("child output lacks markers:\n%s", out.String())
	}
	return parseStatus(t, before), parseStatus(t, after), statusUID(t, after), errb.String(), nil
}

func parseStatus(t *testing.T, status string) masks {
	t.Helper()
	fields := map[string]*uint64{}
	var m masks
	fields["CapInh"], fields["CapPrm"], fields["CapEff"], fields["CapBnd"], fields["CapAmb"] = &m.Inh, &m.Prm, &m.Eff, &m.Bnd, &m.Amb
	found := 0
	for _, line := range strings.Split(status, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if p, want := fields[k]; ok && want {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				t.Fatalf("status line %q: %v", line, err)
			}
			*p = n
			found++
		}
	}
	if found != len(fields) {
		t.Fatalf("status has %d of the 5 Cap lines:\n%s", found, status)
	}
	return m
}

func statusUID(t *testing.T, status string) int {
	t.Helper()
	for _, line := range strings.Split(status, "\n") {
		if rest, ok := strings.CutPrefix(line, "Uid:"); ok {
			f := strings.Fields(rest)
			n, err := strconv.Atoi(f[0])
			if err != nil {
				t.Fatalf("status line %q: %v", line, err)
			}
			return n
		}
	}
	t.Fatalf("status has no Uid line:\n%s", status)
	return 0
}

// dockerDefault is Docker's default capability list; 0xa80425fb is its
// mask as /proc/<pid>/status prints it in any Docker container.
var dockerDefault = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
	"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

const (
	dockerMask = 0xa80425fb
	netBind    = 1 << 10 // CAP_NET_BIND_SERVICE
)

func TestApplyAroundUserChange(t *testing.T) {
	testgate.Root(t)
	testgate.Binary(t, "/bin/busybox")
	one := []string{"CAP_NET_BIND_SERVICE"}
	tests := []struct {
		name        string
		cfg         childConfig
		wantThread  masks
		wantProgram masks
	}{
		{
			name: "root with docker defaults",
			cfg: childConfig{Caps: &specs.LinuxCapabilities{
				Bounding: dockerDefault, Effective: dockerDefault, Permitted: dockerDefault,
			}},
			wantThread: masks{Bnd: dockerMask, Prm: dockerMask, Eff: dockerMask},
			// Root execs gain bounding|inheritable as permitted and effective.
			wantProgram: masks{Bnd: dockerMask, Prm: dockerMask, Eff: dockerMask},
		},
		{
			name:        "root with all sets empty",
			cfg:         childConfig{Caps: &specs.LinuxCapabilities{}},
			wantThread:  masks{},
			wantProgram: masks{},
		},
		{
			name:        "nil capabilities are all empty",
			cfg:         childConfig{},
			wantThread:  masks{},
			wantProgram: masks{},
		},
		{
			name: "root with ambient requested",
			cfg: childConfig{Caps: &specs.LinuxCapabilities{
				Bounding: one, Effective: one, Permitted: one, Inheritable: one, Ambient: one,
			}},
			wantThread:  masks{Bnd: netBind, Prm: netBind, Eff: netBind, Inh: netBind, Amb: netBind},
			wantProgram: masks{Bnd: netBind, Prm: netBind, Eff: netBind, Inh: netBind, Amb: netBind},
		},
		{
			// The thread arrives with CAP_NET_BIND_SERVICE ambient and
			// inheritable; the config keeps it inheritable only.
			name: "root with inheritable but no ambient",
			cfg: childConfig{Caps: &specs.LinuxCapabilities{
				Bounding: dockerDefault, Effective: dockerDefault, Permitted: dockerDefault,
				Inheritable: one,
			}},
			wantThread:  masks{Bnd: dockerMask, Prm: dockerMask, Eff: dockerMask, Inh: netBind},
			wantProgram: masks{Bnd: dockerMask, Prm: dockerMask, Eff: dockerMask, Inh: netBind},
		},
		{
			name: "uid 1000 keeps its capabilities until exec",
			cfg: childConfig{UID: 1000, Caps: &specs.LinuxCapabilities{
				Bounding: dockerDefault, Effective: dockerDefault, Permitted: dockerDefault,
			}},
			wantThread: masks{Bnd: dockerMask, Prm: dockerMask, Eff: dockerMask},
			// A non-root exec of a file without file capabilities keeps
			// only the ambient set.
			wantProgram: masks{Bnd: dockerMask},
		},
		{
			name: "uid 1000 with ambient requested",
			cfg: childConfig{UID: 1000, Caps: &specs.LinuxCapabilities{
				Bounding: dockerDefault, Effective: dockerDefault, Permitted: dockerDefault,
				Inheritable: one, Ambient: one,
			}},
			wantThread:  masks{Bnd: dockerMask, Prm: dockerMask, Eff: dockerMask, Inh: netBind, Amb: netBind},
			wantProgram: masks{Bnd: dockerMask, Prm: netBind, Eff: netBind, Inh: netBind, Amb: netBind},
		},
		{
			name: "uid 1000 with inheritable but no ambient",
			cfg: childConfig{UID: 1000, Caps: &specs.LinuxCapabilities{
				Bounding: dockerDefault, Effective: dockerDefault, Permitted: dockerDefault,
				Inheritable: one,
			}},
			wantThread:  masks{Bnd: dockerMask, Prm: dockerMask, Eff: dockerMask, Inh: netBind},
			wantProgram: masks{Bnd: dockerMask, Inh: netBind},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			thread, program, uid, stderr, err := runInChild(t, tt.cfg)
			if err != nil {
				t.Fatalf("child: %v\n%s", err, stderr)
			}
			if uid != tt.cfg.UID {
				t.Errorf("program uid = %d, want %d", uid, tt.cfg.UID)
			}
			if diff := cmp.Diff(tt.wantThread, thread); diff != "" {
				t.Errorf("thread masks before exec (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantProgram, program); diff != "" {
				t.Errorf("program masks (-want +got):\n%s", diff)
			}
		})
	}
}

// TestApplyAmbientNotInheritable checks the kernel's refusal reaches the
// caller: an ambient capability must also be inheritable and permitted.
// An ambient capability that is not also inheritable cannot be raised; it
// is left out, as runc does for its own default spec, and the rest applies.
func TestApplyAmbientNotInheritable(t *testing.T) {
	testgate.Root(t)
	testgate.Binary(t, "/bin/busybox")
	one := []string{"CAP_NET_BIND_SERVICE"}
	_, program, _, stderr, err := runInChild(t, childConfig{UID: 1000, Caps: &specs.LinuxCapabilities{
		Bounding: one, Effective: one, Permitted: one, Ambient: one,
	}})
	if err != nil {
		t.Fatalf("child failed: %v\n%s", err, stderr)
	}
	if program.Amb != 0 || program.Inh != 0 {
		t.Errorf("program sees CapAmb %#x CapInh %#x, want both 0", program.Amb, program.Inh)
	}
}
