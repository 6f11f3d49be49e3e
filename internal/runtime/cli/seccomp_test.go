package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cais-project/cais/internal/testgate"
)

// TestSeccompThroughRuntime loads profiles through config.json and checks
// what the container's programs see.
func TestSeccompThroughRuntime(t *testing.T) {
	deny := func(action specs.LinuxSeccompAction, errno *uint, names ...string) *specs.LinuxSeccomp {
		return &specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow,
			Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
			Syscalls:      []specs.LinuxSyscall{{Names: names, Action: action, ErrnoRet: errno}},
		}
	}
	cases := []struct {
		name     string
		profile  *specs.LinuxSeccomp
		script   string
		wantOut  string
		wantCode int
	}{
		{
			// Without a profile the read-only root answers: this is what
			// the profiles below must change.
			name:    "no profile",
			script:  `mkdir /x; echo rc=$?`,
			wantOut: "mkdir: can't create directory '/x': Read-only file system\nrc=1\n",
		},
		{
			name:    "errno EPERM",
			profile: deny(specs.ActErrno, ptr(uint(1)), "mkdir", "mkdirat"),
			script:  `mkdir /x; echo rc=$?`,
			wantOut: "mkdir: can't create directory '/x': Operation not permitted\nrc=1\n",
		},
		{
			name:    "errno ENOSPC",
			profile: deny(specs.ActErrno, ptr(uint(28)), "mkdir", "mkdirat"),
			script:  `mkdir /x; echo rc=$?`,
			wantOut: "mkdir: can't create directory '/x': No space left on device\nrc=1\n",
		},
		{
			// The shell never calls sethostname; the applet it execs
			// does, and dies of SIGSYS before any capability check.
			name:     "kill_process",
			profile:  deny(specs.ActKillProcess, nil, "sethostname"),
			script:   `echo before; exec hostname other`,
			wantOut:  "before\n",
			wantCode: 128 + 31,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRT(t)
			b := r.bundle("exec 2>&1; "+c.script, func(s *specs.Spec) { s.Linux.Seccomp = c.profile })
			res := r.run("run", "--bundle", b, r.name)
			if res.code != c.wantCode || res.stdout != c.wantOut {
				t.Fatalf("exit %d, output %q; want exit %d, output %q (stderr %s)", res.code, res.stdout, c.wantCode, c.wantOut, res.stderr)
			}
		})
	}
}

const podmanProfile = "/usr/share/containers/seccomp.json"

// TestSeccompPodmanProfile loads Podman's default profile (Docker's
// lineage) through the runtime. The container has CAP_SYS_ADMIN, but the
// profile is built for Podman's default capabilities, without it: so
// sethostname works without the profile and is refused with it, while
// ordinary commands keep working. (This profile allows mount, unshare,
// clone and setns to everyone and leaves them to capabilities.)
func TestSeccompPodmanProfile(t *testing.T) {
	testgate.Binary(t, podmanProfile)
	if runtime.GOARCH != "amd64" {
		t.Skip("the profile conversion below is written for x86_64")
	}
	profile := podmanOCIProfile(t)
	script := `echo hello; ls / >/dev/null && echo ls ok; id -u; cat /etc/passwd >/dev/null && echo cat ok
hostname other; echo hostname rc=$?`
	for _, c := range []struct {
		name    string
		profile *specs.LinuxSeccomp
		want    []string
	}{
		{"without profile", nil, []string{"hello\nls ok\n0\ncat ok\nhostname rc=0\n"}},
		{"with profile", profile, []string{"hello\nls ok\n0\ncat ok\n", "sethostname: Operation not permitted\nhostname rc=1\n"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newRT(t)
			b := r.bundle("exec 2>&1; "+script, func(s *specs.Spec) {
				s.Linux.Seccomp = c.profile
				caps := append(slices.Clone(podmanCaps), "CAP_SYS_ADMIN")
				s.Process.Capabilities = &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps}
			})
			out := r.must("run", "--bundle", b, r.name)
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// podmanCaps is Podman's default capability set (containers.conf), which
// decides the profile's capability-dependent rules.
var podmanCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_NET_BIND_SERVICE",
	"CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT",
}

// dockerProfile is the part of Docker's and containers/common's profile
// format this test converts; see seccomp's profile_test.go for the rules.
type dockerProfile struct {
	DefaultAction   specs.LinuxSeccompAction `json:"defaultAction"`
	DefaultErrnoRet *uint                    `json:"defaultErrnoRet"`
	ArchMap         []struct {
		Arch    specs.Arch   `json:"architecture"`
		SubArch []specs.Arch `json:"subArchitectures"`
	} `json:"archMap"`
	Syscalls []struct {
		Names    []string                 `json:"names"`
		Action   specs.LinuxSeccompAction `json:"action"`
		ErrnoRet *uint                    `json:"errnoRet"`
		Args     []specs.LinuxSeccompArg  `json:"args"`
		Includes dockerFilter             `json:"includes"`
		Excludes dockerFilter             `json:"excludes"`
	} `json:"syscalls"`
}

type dockerFilter struct {
	Caps      []string `json:"caps"`
	Arches    []string `json:"arches"`
	MinKernel string   `json:"minKernel"`
}

// keeps reports whether a rule with these includes/excludes applies on
// amd64 with caps.
func keeps(in, ex dockerFilter, caps []string) bool {
	if len(in.Arches) > 0 && !slices.Contains(in.Arches, "amd64") || slices.Contains(ex.Arches, "amd64") {
		return false
	}
	for _, c := range in.Caps {
		if !slices.Contains(caps, c) {
			return false
		}
	}
	for _, c := range ex.Caps {
		if slices.Contains(caps, c) {
			return false
		}
	}
	return true
}

func podmanOCIProfile(t *testing.T) *specs.LinuxSeccomp {
	t.Helper()
	b, err := os.ReadFile(podmanProfile)
	if err != nil {
		t.Fatal(err)
	}
	var p dockerProfile
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("parsing %s: %v", podmanProfile, err)
	}
	out := &specs.LinuxSeccomp{DefaultAction: p.DefaultAction, DefaultErrnoRet: p.DefaultErrnoRet}
	for _, m := range p.ArchMap {
		if m.Arch == specs.ArchX86_64 {
			out.Architectures = append([]specs.Arch{m.Arch}, m.SubArch...)
		}
	}
	for i, sc := range p.Syscalls {
		if sc.Includes.MinKernel != "" || sc.Excludes.MinKernel != "" {
			t.Fatalf("%s: syscalls[%d] uses minKernel, which this conversion does not handle", podmanProfile, i)
		}
		if keeps(sc.Includes, sc.Excludes, podmanCaps) {
			out.Syscalls = append(out.Syscalls, specs.LinuxSyscall{Names: sc.Names, Action: sc.Action, ErrnoRet: sc.ErrnoRet, Args: sc.Args})
		}
	}
	if len(out.Architectures) == 0 || len(out.Syscalls) < 10 {
		t.Fatalf("%s converted to %s", podmanProfile, fmt.Sprint(out.Architectures, len(out.Syscalls), " rules"))
	}
	return out
}
